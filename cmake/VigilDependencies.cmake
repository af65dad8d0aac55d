# Every third-party dependency is found here, once, from Debian 12 packages
# (scripts/install-deps.sh installs them). Nothing is downloaded at build time.
find_package(Threads REQUIRED)
find_package(TBB REQUIRED)
find_package(RocksDB REQUIRED)
find_package(Eigen3 REQUIRED NO_MODULE)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)

if(VIGIL_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(VIGIL_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()

# Review console (apps/console): HTTP server, password hashing, audit hash chain.
# Debian builds cpp-httplib as a shared library; its pkg-config file carries the feature defines
# (OpenSSL, zlib, brotli) that the header must see identically in every translation unit.
find_package(OpenSSL REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
