# FindBigWig.cmake — locate libBigWig (Debian: libbigwig-dev), which ships no pkg-config or
# CMake package file. Imported target: BigWig::BigWig. Result variables: BigWig_FOUND,
# BigWig_VERSION (from LIBBIGWIG_VERSION in bigWig.h, when present).
#
# bigWig.h includes <curl/curl.h> (through bigWigIO.h) and <zlib.h>, but Debian's
# libbigwig-dev does not depend on their -dev packages: both headers are required here so
# that a found BigWig also compiles.
include(FindPackageHandleStandardArgs)
find_path(BigWig_INCLUDE_DIR bigWig.h)
find_library(BigWig_LIBRARY NAMES BigWig)
find_path(BigWig_CURL_INCLUDE_DIR curl/curl.h)
find_path(BigWig_ZLIB_INCLUDE_DIR zlib.h)

if(BigWig_INCLUDE_DIR AND EXISTS "${BigWig_INCLUDE_DIR}/bigWig.h")
  file(STRINGS "${BigWig_INCLUDE_DIR}/bigWig.h" _bigwig_version_line
       REGEX "^#define[ \t]+LIBBIGWIG_VERSION[ \t]+[0-9.]+")
  if(_bigwig_version_line)
    string(REGEX REPLACE ".*LIBBIGWIG_VERSION[ \t]+([0-9.]+).*" "\\1" BigWig_VERSION
           "${_bigwig_version_line}")
  endif()
  unset(_bigwig_version_line)
endif()

find_package_handle_standard_args(BigWig
  REQUIRED_VARS BigWig_INCLUDE_DIR BigWig_LIBRARY BigWig_CURL_INCLUDE_DIR BigWig_ZLIB_INCLUDE_DIR
  VERSION_VAR BigWig_VERSION)
if(BigWig_FOUND AND NOT TARGET BigWig::BigWig)
  set(_bigwig_include_dirs ${BigWig_INCLUDE_DIR} ${BigWig_CURL_INCLUDE_DIR} ${BigWig_ZLIB_INCLUDE_DIR})
  list(REMOVE_DUPLICATES _bigwig_include_dirs)
  add_library(BigWig::BigWig UNKNOWN IMPORTED)
  set_target_properties(BigWig::BigWig PROPERTIES
    IMPORTED_LOCATION "${BigWig_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${_bigwig_include_dirs}")
  unset(_bigwig_include_dirs)
endif()
mark_as_advanced(BigWig_INCLUDE_DIR BigWig_LIBRARY BigWig_CURL_INCLUDE_DIR BigWig_ZLIB_INCLUDE_DIR)
