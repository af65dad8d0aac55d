// Writes the small store the C example and the installed-package test screen against:
//   screen_fixture_db DIR
// Person 370202195003011013 (region 3702, 3421.50 a month to account 6222000011112222) is
// alive; 370203195208151032 died on 2024-02-10. A score run as of 2024-06-30 is recorded.
#include <cstdio>
#include <filesystem>

#include "screen_test_util.h"

int main(int argc, char** argv) {
  using namespace vigil;
  using namespace vigil::testing;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  std::error_code ec;
  std::filesystem::remove_all(argv[1], ec);
  auto store = Store::Open(StoreAt(argv[1]));
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  const std::string alive = Id("37020219500301101");
  const std::string dead = Id("37020319520815103");
  RecordBatch batch;
  batch.Add(Person(alive, 3702, 342150, "6222000011112222"));
  batch.Add(Person(dead, 3702, 342150, "6222000011112222"));
  batch.Add(Payment("P1", alive, 3702, "2024-06", 342150, "6222000011112222"));
  batch.Add(Payment("P2", dead, 3702, "2024-06", 342150, "6222000011112222"));
  batch.Add(Registry(dead, RegistryEvent::kDeath, "2024-02-10", "2024-03-01"));
  auto written = (*store)->Write(batch);
  Status s = written.ok() ? (*store)->PutMeta("last_score_run", "2024-06-30/default-1/fixture")
                          : written.status();
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("%s alive\n%s dead\n", alive.c_str(), dead.c_str());
  return 0;
}
