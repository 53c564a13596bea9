# Every dependency comes from Debian's packages (scripts/bootstrap installs them).
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

find_package(CapnProto CONFIG REQUIRED)
pkg_check_modules(LMDB REQUIRED IMPORTED_TARGET lmdb)
find_package(OpenSSL 3 REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS unit_test_framework)
find_package(nlohmann_json 3 REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
# prometheus-cpp's config also wants civetweb, ZLIB and CURL, even for core alone.
find_package(prometheus-cpp CONFIG REQUIRED)

# CAF 0.17 ships neither a CMake config nor a .pc file. `make test-tsan` sets
# CAF_core_LIBRARY to a ThreadSanitizer build of libcaf_core (scripts/caf-tsan), used
# with Debian's headers of the same version.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
foreach(part core io openssl)
  find_library(CAF_${part}_LIBRARY caf_${part} REQUIRED)
  if(NOT TARGET CAF::${part})
    add_library(CAF::${part} UNKNOWN IMPORTED)
    set_target_properties(CAF::${part} PROPERTIES
      IMPORTED_LOCATION ${CAF_${part}_LIBRARY}
      INTERFACE_INCLUDE_DIRECTORIES ${CAF_INCLUDE_DIR}
      INTERFACE_LINK_LIBRARIES Threads::Threads)
  endif()
endforeach()
get_filename_component(CAF_core_DIR ${CAF_core_LIBRARY} DIRECTORY)
if(NOT CAF_core_DIR MATCHES "^/usr/lib")
  # Found first at run time, ahead of the system's copy of the same soname.
  set_property(TARGET CAF::core APPEND PROPERTY INTERFACE_LINK_OPTIONS "-Wl,-rpath,${CAF_core_DIR}")
endif()
