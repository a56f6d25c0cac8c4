# Run by CPack on the staged tree of the .deb, before it is packed
# (CPACK_PRE_BUILD_SCRIPTS in CMakeLists.txt): Debian's layout for what
# `cmake --install` leaves as it is.
#   - man pages gzipped, with -n (no name or time stamp in the header) so
#     that two builds of one tree give the same package;
#   - /usr/share/doc/interlock/copyright: LICENSE, then PCRE2's licence,
#     whose binary-redistribution clause applies because libinterlock.so
#     carries PCRE2 statically.
# Stripping and the -dbgsym package are CPack's own
# (CPACK_DEBIAN_DEBUGINFO_PACKAGE).
if(NOT CPACK_GENERATOR STREQUAL "DEB")
  return()
endif()
set(root "${CPACK_TEMPORARY_DIRECTORY}${CPACK_PACKAGING_INSTALL_PREFIX}")

file(GLOB_RECURSE pages "${root}/share/man/*")
foreach(page IN LISTS pages)
  if(NOT page MATCHES "\\.gz$")
    execute_process(COMMAND gzip -9nf "${page}" RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "interlock packaging: gzip ${page} failed")
    endif()
  endif()
endforeach()

set(src "${CPACK_INTERLOCK_SOURCE_DIR}")
file(READ "${src}/LICENSE" license)
file(READ "${src}/packaging/debian/copyright-pcre2" pcre2)
file(WRITE "${root}/share/doc/${CPACK_PACKAGE_NAME}/copyright"
     "${CPACK_PACKAGE_NAME}\n${CPACK_DEBIAN_PACKAGE_HOMEPAGE}\n\n${license}${pcre2}")
