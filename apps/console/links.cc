#include "links.h"

#include <algorithm>
#include <functional>
#include <set>

#include "vigil/store.h"
#include "vigil/time.h"

namespace vigil::console {
namespace {

uint64_t HashText(std::string_view kind, std::string_view text) {
  // The kind is mixed in so an account number and a phone number with the same digits differ.
  return std::hash<std::string>{}(std::string(kind) + '\x1f' + std::string(text));
}

void SortUnique(std::vector<std::pair<uint64_t, uint64_t>>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

LinkIndex::~LinkIndex() {
  stop_ = true;
  if (worker_.joinable()) worker_.join();
}

Status LinkIndex::BuildPersons(const Store& store) {
  accounts_.clear();
  phones_.clear();
  name_births_.clear();
  VIGIL_RETURN_IF_ERROR(store.ScanPersons([&](const PersonRecord& p) {
    const uint64_t key = PersonKey(p.person_id);
    if (!p.bank_account.empty()) accounts_.emplace_back(HashText("A", p.bank_account), key);
    if (!p.phone.empty()) phones_.emplace_back(HashText("P", p.phone), key);
    if (!p.name.empty()) {
      name_births_.emplace_back(HashText("N", p.name + '|' + FormatDate(p.birth_date)), key);
    }
    return true;
  }));
  SortUnique(accounts_);
  SortUnique(phones_);
  SortUnique(name_births_);
  return Status::Ok();
}

void LinkIndex::StartEventsBuild(const Store& store) {
  worker_ = std::thread([this, &store] {
    Pairs employers, doctors;
    HistoryFilter filter;
    filter.kinds = {EventKind::kContribution, EventKind::kAppraisal};
    auto snapshot = store.GetSnapshot();
    Status s = store.ScanEventPersonKeys(
        [&](uint64_t key) {
          if (stop_) return false;
          Status v = store.VisitHistory(
              key, filter,
              [&](const EventView& e) {
                if (e.kind == EventKind::kContribution) {
                  auto c = e.AsContribution();
                  if (c.ok()) employers.emplace_back(HashText("E", c->employer_id), key);
                } else if (e.kind == EventKind::kAppraisal) {
                  auto a = e.AsAppraisal();
                  if (a.ok()) doctors.emplace_back(HashText("D", a->doctor_id), key);
                }
                return true;
              },
              snapshot.get());
          return v.ok();
        },
        snapshot.get());
    if (!s.ok() || stop_) return;
    SortUnique(employers);
    SortUnique(doctors);
    std::lock_guard lock(mu_);
    employers_ = std::move(employers);
    doctors_ = std::move(doctors);
    events_ready_ = true;
  });
}

void LinkIndex::Lookup(const Pairs& pairs, uint64_t hash, uint64_t self, const std::string& via,
                       const std::string& value, size_t per_kind, std::vector<Link>* out) {
  auto lo = std::lower_bound(pairs.begin(), pairs.end(), std::make_pair(hash, uint64_t{0}));
  auto hi = std::upper_bound(pairs.begin(), pairs.end(), std::make_pair(hash, UINT64_MAX));
  const auto group = static_cast<size_t>(hi - lo);
  size_t added = 0;
  for (auto it = lo; it != hi && added < per_kind; ++it) {
    if (it->second == self) continue;
    out->push_back(Link{via, value, it->second, group});
    ++added;
  }
}

Result<LinksOfPerson> LinkIndex::LinksOf(const Store& store, uint64_t person_key,
                                         size_t per_kind) const {
  LinksOfPerson result;
  VIGIL_ASSIGN_OR_RETURN(auto rows, store.GetPersonRows(person_key));
  std::set<std::string> seen;
  for (const PersonRecord& p : rows) {
    if (!p.bank_account.empty() && seen.insert("A" + p.bank_account).second) {
      Lookup(accounts_, HashText("A", p.bank_account), person_key, "ACCOUNT", p.bank_account,
             per_kind, &result.links);
    }
    if (!p.phone.empty() && seen.insert("P" + p.phone).second) {
      Lookup(phones_, HashText("P", p.phone), person_key, "PHONE", p.phone, per_kind,
             &result.links);
    }
    const std::string nb = p.name + '|' + FormatDate(p.birth_date);
    if (!p.name.empty() && seen.insert("N" + nb).second) {
      Lookup(name_births_, HashText("N", nb), person_key, "NAME_BIRTH",
             p.name + " " + FormatDate(p.birth_date), per_kind, &result.links);
    }
  }
  if (!events_ready_) return result;
  result.events_ready = true;
  std::set<std::string> employers, doctors;
  HistoryFilter filter;
  filter.kinds = {EventKind::kContribution, EventKind::kAppraisal};
  VIGIL_RETURN_IF_ERROR(store.VisitHistory(person_key, filter, [&](const EventView& e) {
    if (e.kind == EventKind::kContribution) {
      if (auto c = e.AsContribution(); c.ok()) employers.insert(c->employer_id);
    } else if (auto a = e.AsAppraisal(); a.ok()) {
      doctors.insert(a->doctor_id);
    }
    return true;
  }));
  std::lock_guard lock(mu_);
  for (const auto& id : employers) {
    Lookup(employers_, HashText("E", id), person_key, "EMPLOYER", id, per_kind, &result.links);
  }
  for (const auto& id : doctors) {
    Lookup(doctors_, HashText("D", id), person_key, "DOCTOR", id, per_kind, &result.links);
  }
  return result;
}

}  // namespace vigil::console
