// Linked people: who shares an account, a phone, a name and birth date, an employer or an
// appraising doctor with a person (the rings behind shared-account, forged-identity, fake
// special-job and fake-disability fraud).
//
// Persons-row links (account, phone, name + birth date) are indexed at start from one scan of
// the persons rows. Employer and doctor links need every person's contribution and appraisal
// history, a scan of the whole events column family, so they are indexed by a background
// thread; until it finishes, LinksOf reports `events_ready = false` and only persons-row links.
// Each index is a sorted vector of (64-bit hash of the shared value, person key): 16 bytes per
// person and link kind.
//
// Thread-safety: thread-safe (BuildPersons before sharing; the background build publishes its
// result under a mutex).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "vigil/status.h"

namespace vigil {
class Store;
}

namespace vigil::console {

struct Link {
  std::string via;    // ACCOUNT, PHONE, NAME_BIRTH, EMPLOYER, DOCTOR
  std::string value;  // the shared value (account, phone, employer id, doctor id, name)
  uint64_t person_key = 0;
  size_t group_size = 0;  // persons sharing the value, this one included
};

struct LinksOfPerson {
  std::vector<Link> links;  // at most `per_kind` per (via, value)
  bool events_ready = false;
};

class LinkIndex {
 public:
  LinkIndex() = default;
  ~LinkIndex();
  LinkIndex(const LinkIndex&) = delete;
  LinkIndex& operator=(const LinkIndex&) = delete;

  Status BuildPersons(const Store& store);
  // Starts the background employer/doctor scan; `store` must outlive this object.
  void StartEventsBuild(const Store& store);
  bool events_ready() const { return events_ready_.load(); }

  // Links of one person, reading its persons rows and history from `store`.
  Result<LinksOfPerson> LinksOf(const Store& store, uint64_t person_key, size_t per_kind) const;

 private:
  using Pairs = std::vector<std::pair<uint64_t, uint64_t>>;
  static void Lookup(const Pairs& pairs, uint64_t hash, uint64_t self, const std::string& via,
                     const std::string& value, size_t per_kind, std::vector<Link>* out);
  Pairs accounts_, phones_, name_births_;
  mutable std::mutex mu_;
  Pairs employers_, doctors_;
  std::atomic<bool> events_ready_{false};
  std::atomic<bool> stop_{false};
  std::thread worker_;
};

}  // namespace vigil::console
