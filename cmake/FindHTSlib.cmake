# FindHTSlib.cmake — locate htslib (Debian: libhts-dev) through pkg-config.
# Imported target: HTSlib::hts. Result variable: HTSlib_FOUND.
include(FindPackageHandleStandardArgs)
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_HTSLIB QUIET htslib)
endif()
find_path(HTSlib_INCLUDE_DIR htslib/faidx.h HINTS ${PC_HTSLIB_INCLUDE_DIRS})
find_library(HTSlib_LIBRARY NAMES hts HINTS ${PC_HTSLIB_LIBRARY_DIRS})
find_package_handle_standard_args(HTSlib REQUIRED_VARS HTSlib_INCLUDE_DIR HTSlib_LIBRARY
  VERSION_VAR PC_HTSLIB_VERSION)
if(HTSlib_FOUND AND NOT TARGET HTSlib::hts)
  add_library(HTSlib::hts UNKNOWN IMPORTED)
  set_target_properties(HTSlib::hts PROPERTIES
    IMPORTED_LOCATION "${HTSlib_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${HTSlib_INCLUDE_DIR}")
endif()
mark_as_advanced(HTSlib_INCLUDE_DIR HTSlib_LIBRARY)
