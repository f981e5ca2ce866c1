# CC_CHECK_FLAG_APPEND(VARIABLE, FLAG)
# ------------------------------------
# Appends FLAG to VARIABLE when $CC compiles a trivial program with it and
# -Werror: a compiler that only warns about a flag it does not know (clang's
# -Wunknown-warning-option) does not get it. The answer is cached per flag.
# The shape of kmod's CC_CHECK_FLAGS_APPEND (m4/attributes.m4).
AC_DEFUN([CC_CHECK_FLAG_APPEND], [
  AS_VAR_PUSHDEF([cc_cv_flag], [cc_cv_flag_$2])
  AC_CACHE_CHECK([whether $CC accepts $2], [cc_cv_flag], [
    cc_check_save_CFLAGS=$CFLAGS
    CFLAGS="$CFLAGS -Werror $2"
    AC_COMPILE_IFELSE([AC_LANG_SOURCE([[int a = 0; int main(void) { return a; }]])],
      [AS_VAR_SET([cc_cv_flag], [yes])], [AS_VAR_SET([cc_cv_flag], [no])])
    CFLAGS=$cc_check_save_CFLAGS])
  AS_VAR_IF([cc_cv_flag], [yes], [$1="${$1:+${$1} }$2"])
  AS_VAR_POPDEF([cc_cv_flag])
])

# CC_CHECK_FLAGS_APPEND(VARIABLE, FLAG...)
# ----------------------------------------
# CC_CHECK_FLAG_APPEND for each of a blank-separated list of flags.
AC_DEFUN([CC_CHECK_FLAGS_APPEND], [
  m4_foreach_w([cc_check_flag], [$2], [CC_CHECK_FLAG_APPEND([$1], cc_check_flag)])
])
