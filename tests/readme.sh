#!/bin/bash
# The README's two quick-start commands, pasted as they stand, in order, in a
# fresh Debian 12 (a minbase root filesystem from Debian's archive, built by
# systemd-guest/rootfs.sh and cached), in a fresh clone of this repository's
# committed HEAD: once as root on a system without sudo, once as a user who
# may use sudo. The commands install packages from Debian's archive and run the
# whole test suite inside the chroot (without the qemu tests and this one), so
# this takes 10 to 20 minutes: it runs only with README_TEST=1.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ABS_TOP_SRCDIR=${ABS_TOP_SRCDIR:-$(cd "$here/.." && pwd)}
[ "${README_TEST:-}" = 1 ] || skip_all "README_TEST=1 runs it (10 to 20 minutes, downloads from Debian's archive)"
[ "$(id -u)" -eq 0 ] || skip_all "needs root to build and enter the chroot"
for tool in mmdebstrap git unshare chroot; do
        command -v "$tool" >/dev/null || skip_all "$tool is not installed (see .ci/run)"
done
git -C "$ABS_TOP_SRCDIR" rev-parse --git-dir >/dev/null 2>&1 || skip_all "$ABS_TOP_SRCDIR is not a git clone"
tar=$("$here/systemd-guest/rootfs.sh" "${SYSTEMD_GUEST_CACHE:-/var/cache/ipsec-audit/systemd-guest}" "" 2>"$work/rootfs.err") ||
        skip_all "cannot build a Debian 12 root filesystem: $(cat "$work/rootfs.err")"

# The commands: the first two indented lines of the Quick start section.
awk '/^Quick start/ { q = 1 } /^Usage/ { q = 0 } q && /^       [^ ]/ { sub(/^ +/, ""); print }' \
        "$ABS_TOP_SRCDIR/README" | head -n 2 >"$work/commands"
is "the README has two quick-start commands" "$(wc -l <"$work/commands")" 2

# run_as USER HOME: a fresh root filesystem and clone; the commands in one bash, as pasted.
run_as() {
        local user=$1 home=$2 root=$work/root-$1 out=$work/$1.out
        mkdir -p "$root"
        tar -C "$root" -xf "$tar"
        cp /etc/resolv.conf "$root/etc/resolv.conf"
        git clone -q "$ABS_TOP_SRCDIR" "$root$home/ipsec-audit"
        {
                echo "cd $home/ipsec-audit"
                sed -n 1p "$work/commands"
                echo 'echo "command-1-exit $?"'
                sed -n 2p "$work/commands"
                echo 'echo "command-2-exit $?"'
        } >"$root/commands.sh"
        # Setting up the sudo user is the only step that is not the README's.
        local setup=true
        if [ "$user" != root ]; then
                setup="apt-get update -q && apt-get install -y -q sudo && useradd -m $user &&
                       echo '$user ALL=(ALL) NOPASSWD: ALL' >/etc/sudoers.d/$user &&
                       echo 'Defaults env_keep += \"KERNEL_MATRIX SYSTEMD_GUEST README_TEST\"' >>/etc/sudoers.d/$user &&
                       chown -R $user: $home"
        fi
        # The qemu tests and this one stay out of the inner run (time, and recursion).
        unshare -m --propagation private bash -c '
                r=$1 user=$2 setup=$3
                # Its root a mount point, as on a booted system (ip netns exec remounts it).
                mount --bind "$r" "$r" && mount -t proc proc "$r/proc" && mount --rbind /sys "$r/sys" &&
                        mount --rbind /dev "$r/dev" &&
                        mount -t tmpfs tmpfs "$r/tmp" && mount -t tmpfs tmpfs "$r/run" || exit 1
                chroot "$r" /bin/bash -c "$setup" >/dev/null 2>&1 || { echo "setup failed"; exit 1; }
                chroot "$r" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                        HOME=/root KERNEL_MATRIX=skip SYSTEMD_GUEST=skip README_TEST=skip \
                        /bin/su "$user" -s /bin/bash -c "bash /commands.sh"
        ' sh "$root" "$user" "$setup" >"$out" 2>&1
        is "as $user: command 1 (install, build, audit) exits 0" "$(sed -n 's/^command-1-exit //p' "$out")" 0
        check "as $user: command 1 printed the audit's Section 4 verdict" grep -q "^Section 4 verdict: " "$out"
        is "as $user: command 2 (.ci/run) exits 0" "$(sed -n 's/^command-2-exit //p' "$out")" 0
        check "as $user: .ci/run ends with its count line and no failure ($(grep -E '^[0-9]+ passed' "$out"))" \
                grep -qE '^[0-9]+ passed, 0 failed, [0-9]+ skipped$' "$out"
        # The failures themselves, not only the end: the whole output stays in the build tree.
        if [ "$(sed -n 's/^command-2-exit //p' "$out")" != 0 ]; then
                grep -E '^ *(FAIL|ERROR|XPASS)|^not ok' "$out" | head -n 60 | sed 's/^/#   /'
                tail -n 30 "$out" | sed 's/^/#   /'
        fi
        cp "$out" "readme-$user.out"
        rm -rf "$root"
}
run_as root /root
run_as tester /home/tester
done_testing
