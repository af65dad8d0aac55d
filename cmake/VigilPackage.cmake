# The installable vigil library: what a payment platform links.
#
#   vigil::vigil         libvigil.so: the screening C++ API (include/vigil/screener.h) and the C
#                        ABI (include/vigil/vigil.h), with core, storage and models inside; its
#                        own dependencies (RocksDB, oneTBB, ...) are linked privately.
#   vigil::vigil_static  libvigil.a: the same objects in one archive; a consumer also links
#                        RocksDB, oneTBB, zlib and xxHash (the CMake package finds them).
#
# `cmake --install BUILD --component vigil_sdk` installs the headers, both libraries, the CMake
# package (find_package(vigil)) and a pkg-config file (vigil.pc). Included from core/, after
# vigil_core is defined; storage and models are defined later, which target_link_libraries and
# generator expressions allow.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(_vigil_abi_src ${PROJECT_SOURCE_DIR}/core/vigil_c.cc)

set(_vigil_objects
  $<TARGET_OBJECTS:vigil_core> $<TARGET_OBJECTS:vigil_storage> $<TARGET_OBJECTS:vigil_models>)
set(_vigil_deps TBB::tbb ZLIB::ZLIB Threads::Threads)

# Both libraries are made of the objects of core, storage and models (compiled once, as
# position-independent code), so the C++ API of the shared library is all of theirs.
add_library(vigil_shared SHARED ${_vigil_abi_src} ${_vigil_objects})
add_library(vigil::vigil ALIAS vigil_shared)
set_target_properties(vigil_shared PROPERTIES
  OUTPUT_NAME vigil EXPORT_NAME vigil
  VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
target_compile_features(vigil_shared PUBLIC cxx_std_20)
target_compile_definitions(vigil_shared PRIVATE VIGIL_VERSION_STRING="${PROJECT_VERSION}")
target_include_directories(vigil_shared
  PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
# Debian's librocksdb.a is not position-independent: the shared library links librocksdb.so.
target_link_libraries(vigil_shared PRIVATE RocksDB::rocksdb-shared ${_vigil_deps} PkgConfig::XXHASH)
add_dependencies(vigil_shared vigil_core vigil_storage vigil_models)
vigil_set_warnings(vigil_shared)

add_library(vigil_static STATIC ${_vigil_abi_src} ${_vigil_objects})
add_library(vigil::vigil_static ALIAS vigil_static)
set_target_properties(vigil_static PROPERTIES OUTPUT_NAME vigil EXPORT_NAME vigil_static)
target_compile_features(vigil_static PUBLIC cxx_std_20)
target_compile_definitions(vigil_static PRIVATE VIGIL_VERSION_STRING="${PROJECT_VERSION}")
target_include_directories(vigil_static
  PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(vigil_static INTERFACE RocksDB::rocksdb ${_vigil_deps}
  $<BUILD_INTERFACE:PkgConfig::XXHASH> $<INSTALL_INTERFACE:xxhash>)
add_dependencies(vigil_static vigil_core vigil_storage vigil_models)
vigil_set_warnings(vigil_static)

# The public headers a consumer needs: the screening API, the C ABI and the vocabulary and store
# declarations they name. Internal headers stay in the source tree.
set(VIGIL_SDK_HEADERS
  screener.h vigil.h status.h time.h money.h codes.h policy.h records.h store.h resident_id.h)
list(TRANSFORM VIGIL_SDK_HEADERS PREPEND ${PROJECT_SOURCE_DIR}/include/vigil/)

install(TARGETS vigil_shared vigil_static EXPORT vigilTargets COMPONENT vigil_sdk
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${VIGIL_SDK_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/vigil
  COMPONENT vigil_sdk)
install(EXPORT vigilTargets NAMESPACE vigil:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vigil
  COMPONENT vigil_sdk)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/vigilConfig.cmake.in
  ${PROJECT_BINARY_DIR}/vigilConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vigil)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/vigilConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/vigilConfig.cmake ${PROJECT_BINARY_DIR}/vigilConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vigil COMPONENT vigil_sdk)
# Relocatable: the prefix is found from where vigil.pc lies (cmake --install --prefix anywhere).
file(RELATIVE_PATH VIGIL_PC_TO_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" VIGIL_PC_TO_PREFIX "${VIGIL_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/vigil.pc.in ${PROJECT_BINARY_DIR}/vigil.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/vigil.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT vigil_sdk)
