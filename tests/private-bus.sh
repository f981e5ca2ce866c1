# The private dbus-daemon of the D-Bus tests and benchmarks (sourced, not run).

# private_bus DIR [SERVICEDIR]: a dbus-daemon listening on DIR/socket on which anyone may own
# and call anything (bus activation from SERVICEDIR); sets bus_pid, and bus_addr (empty when it
# did not start).
private_bus() {
        cat >"$1/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>custom</type>
  <listen>unix:path=$1/socket</listen>
  ${2:+<servicedir>$2</servicedir>}
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOF
        dbus-daemon --config-file="$1/bus.conf" --nofork --nopidfile --print-address=3 3>"$1/address" &
        bus_pid=$!
        for _ in $(seq 50); do [ -s "$1/address" ] && break; sleep 0.1; done
        bus_addr=$(head -n 1 "$1/address")
}
