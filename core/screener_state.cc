// Building and refreshing the screening state (screener_internal.h).
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <nlohmann/json.hpp>

#include "screener_internal.h"
#include "vigil/store.h"

namespace vigil::screen {
namespace {

// Aggregates of every known-at month (the far future includes them all).
const Month kAllMonths = Month(std::chrono::year(9999), std::chrono::January);

uint32_t RegistryTotal(const MonthAggregate& a) {
  int64_t n = 0;
  for (int64_t c : a.registry_count) n += c;
  return static_cast<uint32_t>(n);
}
uint32_t PaymentTotal(const MonthAggregate& a) {
  int64_t n = 0;
  for (int64_t c : a.payment_count) n += c;
  return static_cast<uint32_t>(n);
}

void SetRegistrations(std::span<const PersonRecord> rows, PersonState* p) {
  const size_t n = std::min<size_t>(rows.size(), 255);
  p->registration_count = static_cast<uint8_t>(n);
  p->more_registrations.reset();
  Registration* out = p->inline_registrations.data();
  if (n > 2) {
    p->more_registrations = std::make_unique<Registration[]>(n);
    out = p->more_registrations.get();
  }
  for (size_t i = 0; i < n; ++i) {
    out[i] = Registration{rows[i].region, rows[i].status, rows[i].monthly_benefit.fen(),
                          AccountHash(rows[i].bank_account)};
  }
}

// Reads the person's registry events and payments and sets the flags, paid periods and
// references they imply. `discharged_dead` comes from the aggregates (a hospital discharge
// "DIED" is a signal; reading every signal would cost more than it tells).
Status LoadEvents(const Store& store, const Snapshot* snapshot, const ScreeningState& state,
                  int64_t discharged_dead, int64_t latest_discharge, PersonState* p) {
  p->flags &= static_cast<uint8_t>(PersonState::kHasEvents);
  p->death_day = 0;
  p->death_reported = 0;
  p->prison_month = 0;
  p->stored_paid = {};
  p->mean_fen = {};
  p->payments = {};
  p->last_account = {};
  p->registry_total = 0;
  p->payment_total = 0;
  std::array<int64_t, kBenefits> sum_fen{};
  std::optional<int32_t> death_day, death_reported;
  int32_t prison_day = std::numeric_limits<int32_t>::min();
  bool in_prison = false;
  bool missing = false;
  Status decode_error;
  HistoryFilter filter;
  filter.kinds = {EventKind::kRegistry, EventKind::kPayment};
  VIGIL_RETURN_IF_ERROR(store.VisitHistory(
      p->person_key, filter,
      [&](const EventView& event) {
        if (event.kind == EventKind::kPayment) {
          auto r = event.AsPayment();
          if (!r.ok()) {
            decode_error = r.status();
            return false;
          }
          const auto b = static_cast<size_t>(r->benefit);
          ++p->payment_total;
          ++p->payments[b];
          sum_fen[b] += r->amount.fen();
          p->last_account[b] = AccountHash(r->bank_account);
          if (auto bit = state.PeriodBit(r->period)) p->stored_paid[b] |= uint64_t{1} << *bit;
          return true;
        }
        auto r = event.AsRegistry();
        if (!r.ok()) {
          decode_error = r.status();
          return false;
        }
        ++p->registry_total;
        const int32_t day = DayNumber(r->event_date);
        switch (r->event) {
          case RegistryEvent::kDeath:
          case RegistryEvent::kCremation:
            if (!death_day || day < *death_day) {
              death_day = day;
              death_reported = DayNumber(r->reported_date);
            }
            break;
          case RegistryEvent::kPrisonIn:
          case RegistryEvent::kPrisonOut:
            // Events come in event-date order: the latest one says where the person is.
            if (day >= prison_day) {
              prison_day = day;
              in_prison = r->event == RegistryEvent::kPrisonIn;
            }
            break;
          case RegistryEvent::kMissing:
          case RegistryEvent::kEmigrated:
            missing = true;
            break;
          case RegistryEvent::kIdChange:
            break;
        }
        return true;
      },
      snapshot));
  VIGIL_RETURN_IF_ERROR(decode_error);
  for (size_t b = 0; b < kBenefits; ++b) {
    if (p->payments[b] > 0) p->mean_fen[b] = sum_fen[b] / p->payments[b];
  }
  if (!death_day && discharged_dead > 0 && latest_discharge != MonthAggregate::kNoTime) {
    death_day = DayNumber(DateOf(TimestampFromSeconds(latest_discharge)));
    death_reported = *death_day;
  }
  if (death_day) {
    p->flags |= PersonState::kDead;
    p->death_day = *death_day;
    p->death_reported = *death_reported;
  }
  if (in_prison) {
    p->flags |= PersonState::kInPrison;
    p->prison_month = MonthNumber(MonthOf(DateFromDayNumber(prison_day)));
  }
  if (missing) p->flags |= PersonState::kMissing;
  return Status::Ok();
}

int64_t LatestDischarge(const MonthAggregate& a) {
  return a.signal_latest[static_cast<size_t>(SignalSource::kHospitalDischarge)];
}

// The cases of the run named `run` (other runs' cases may linger under other keys).
Status LoadCases(const Store& store, const Snapshot* snapshot, ScreeningState* state) {
  Status error;
  std::vector<std::pair<uint64_t, LastRunCase>> found;
  VIGIL_RETURN_IF_ERROR(store.ScanCases(
      [&](std::string_view key, std::string_view value) {
        if (key.size() != 10) return true;  // not a per-person case
        uint64_t person_key = 0;
        for (int i = 0; i < 8; ++i) {
          person_key = (person_key << 8) | static_cast<uint8_t>(key[static_cast<size_t>(i)]);
        }
        const auto j = nlohmann::json::parse(value, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
          error = Status::Corruption("case of person key " + std::to_string(person_key) +
                                     " is not JSON");
          return false;
        }
        if (j.value("run", std::string()) != state->score_run) return true;
        LastRunCase c;
        auto action = ParseCode<Action>(j.value("action", std::string()));
        if (!action.ok()) {
          error = action.status().WithContext("case of person key " + std::to_string(person_key));
          return false;
        }
        c.action = *action;
        c.risk = j.value("risk", 0.0);
        if (auto it = j.find("patterns"); it != j.end() && it->is_array()) {
          for (const auto& name : *it) {
            if (!name.is_string()) continue;
            auto p = ParseCode<Pattern>(name.get<std::string>());
            if (p.ok()) c.patterns.push_back(*p);
          }
        }
        if (auto it = j.find("reasons"); it != j.end() && it->is_array()) {
          for (const auto& r : *it) {
            if (r.is_string()) c.reasons.push_back(r.get<std::string>());
          }
        }
        found.emplace_back(person_key, std::move(c));
        return true;
      },
      snapshot));
  VIGIL_RETURN_IF_ERROR(error);
  for (auto& [key, c] : found) {
    PersonState* p = state->Find(key);
    if (p == nullptr) continue;  // a case for someone no longer in the store
    if (p->case_index >= 0) {
      LastRunCase& old = state->cases[static_cast<size_t>(p->case_index)];
      if (static_cast<int>(old.action) >= static_cast<int>(c.action)) continue;
      old = std::move(c);
      continue;
    }
    p->case_index = static_cast<int32_t>(state->cases.size());
    state->cases.push_back(std::move(c));
  }
  return Status::Ok();
}

}  // namespace

uint64_t AccountHash(std::string_view account) {
  // PersonKey is XXH3-64 of any text; the domain prefix keeps account and person keys apart.
  std::string text = "account:";
  text += account;
  return PersonKey(text) | 1;  // never 0 (0 = "no account")
}

PersonState* ScreeningState::Find(uint64_t person_key) {
  if (slots_.empty()) return nullptr;
  for (uint64_t s = person_key & slot_mask_;; s = (s + 1) & slot_mask_) {
    const uint32_t v = slots_[s];
    if (v == 0) return nullptr;
    if (persons[v - 1].person_key == person_key) return &persons[v - 1];
  }
}

PersonState* ScreeningState::Overflow(uint64_t person_key) {
  std::lock_guard lock(overflow_mu_);
  auto& slot = overflow_[person_key];
  if (!slot) {
    slot = std::make_unique<PersonState>();
    slot->person_key = person_key;
    slot->checked_version = kNeverChecked;
  }
  return slot.get();
}

void ScreeningState::BuildIndex() {
  const size_t capacity = std::bit_ceil(std::max<size_t>(16, persons.size() * 2));
  slots_.assign(capacity, 0);
  slot_mask_ = capacity - 1;
  for (size_t i = 0; i < persons.size(); ++i) {
    uint64_t s = persons[i].person_key & slot_mask_;
    while (slots_[s] != 0) s = (s + 1) & slot_mask_;
    slots_[s] = static_cast<uint32_t>(i + 1);
  }
}

size_t ScreeningState::Bytes() const {
  size_t bytes = persons.capacity() * sizeof(PersonState) + slots_.capacity() * sizeof(uint32_t);
  for (const PersonState& p : persons) bytes += p.HeapBytes();
  for (const LastRunCase& c : cases) {
    bytes += sizeof(LastRunCase) + c.patterns.capacity();
    for (const auto& r : c.reasons) bytes += sizeof(std::string) + r.capacity();
  }
  return bytes;
}

Status BuildState(const Store& store, const ScreenerOptions& options, uint64_t version,
                  ScreeningState* state) {
  const auto start = std::chrono::steady_clock::now();
  state->built_version = version;
  state->window_months = options.window_months;
  // A secondary has no snapshots; its view only moves at CatchUp, which the screener starts
  // calling after the build.
  const std::unique_ptr<Snapshot> snapshot =
      store.options().mode == OpenMode::kSecondary ? nullptr : store.GetSnapshot();
  auto run = store.GetMeta("last_score_run", snapshot.get());
  if (run.ok()) {
    state->score_run = *run;
  } else if (run.status().code() != StatusCode::kNotFound) {
    return run.status();
  }
  // The window is anchored at the last run's as-of month: the payroll screened next is the one
  // after that run. Without a run, at today's month.
  std::optional<Date> run_date;
  if (state->score_run.size() >= 10) {
    auto d = ParseDate(std::string_view(state->score_run).substr(0, 10));
    if (d.ok()) run_date = *d;
  }
  state->anchor = run_date ? MonthOf(*run_date)
                           : MonthOf(Date(std::chrono::floor<std::chrono::days>(
                                 std::chrono::system_clock::now())));

  // Registrations, grouped by person key (the scan is in key order), merged with every person
  // that has events (payees outside the pension registry).
  std::vector<PersonRecord> rows;
  VIGIL_RETURN_IF_ERROR(store.ScanPersons(
      [&](const PersonRecord& r) {
        rows.push_back(r);
        return true;
      },
      snapshot.get()));
  struct Group {
    uint64_t key;
    size_t first;
    size_t count;
  };
  std::vector<Group> registered;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i == 0 || rows[i].person_id != rows[i - 1].person_id) {
      registered.push_back({PersonKey(rows[i].person_id), i, 0});
    }
    ++registered.back().count;
  }
  std::vector<Group> groups;
  groups.reserve(registered.size());
  size_t next = 0;
  VIGIL_RETURN_IF_ERROR(store.ScanEventPersonKeys(
      [&](uint64_t key) {
        while (next < registered.size() && registered[next].key < key) {
          groups.push_back(registered[next++]);
        }
        if (next < registered.size() && registered[next].key == key) {
          groups.push_back(registered[next++]);
        } else {
          groups.push_back({key, 0, 0});
        }
        return true;
      },
      snapshot.get()));
  while (next < registered.size()) groups.push_back(registered[next++]);

  state->persons.clear();
  state->persons.resize(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) state->persons[i].person_key = groups[i].key;
  state->BuildIndex();

  // Per person: registrations, registry flags and paid periods, in parallel chunks; the
  // aggregates of a chunk come in one batched read.
  std::atomic<bool> failed{false};
  Status first_error;
  std::mutex error_mu;
  std::atomic<uint64_t> done{0};
  const int threads = options.threads > 0 ? options.threads : tbb::task_arena::automatic;
  tbb::task_arena arena(threads);
  arena.execute([&] {
    tbb::parallel_for(
        tbb::blocked_range<size_t>(0, groups.size(), 512),
        [&](const tbb::blocked_range<size_t>& range) {
          if (failed) return;
          std::vector<uint64_t> keys;
          keys.reserve(range.size());
          for (size_t i = range.begin(); i != range.end(); ++i) keys.push_back(groups[i].key);
          std::vector<MonthAggregate> aggs;
          Status s = store.MultiGetAggregates(keys, kAllMonths, &aggs, snapshot.get());
          for (size_t i = range.begin(); s.ok() && i != range.end(); ++i) {
            PersonState& p = state->persons[i];
            const Group& g = groups[i];
            SetRegistrations(std::span<const PersonRecord>(rows.data() + g.first, g.count), &p);
            const MonthAggregate& a = aggs[i - range.begin()];
            if (!a.empty()) p.flags |= PersonState::kHasEvents;
            p.checked_version = version;
            if (RegistryTotal(a) == 0 && PaymentTotal(a) == 0 && a.discharged_dead == 0) continue;
            s = LoadEvents(store, snapshot.get(), *state, a.discharged_dead, LatestDischarge(a),
                           &p);
          }
          if (!s.ok()) {
            std::lock_guard lock(error_mu);
            if (!failed.exchange(true)) first_error = s;
            return;
          }
          const uint64_t now = done += range.size();
          if (options.progress) options.progress(now, groups.size());
        });
  });
  if (failed) return first_error;
  VIGIL_RETURN_IF_ERROR(LoadCases(store, snapshot.get(), state));
  state->build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::Ok();
}

Status RefreshPerson(const Store& store, const ScreeningState& state, PersonState* person) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<PersonRecord> rows, store.GetPersonRows(person->person_key));
  std::vector<MonthAggregate> aggs;
  const uint64_t key = person->person_key;
  VIGIL_RETURN_IF_ERROR(store.MultiGetAggregates(std::span<const uint64_t>(&key, 1), kAllMonths,
                                                 &aggs));
  const MonthAggregate& a = aggs.front();
  SetRegistrations(rows, person);
  if (!a.empty()) person->flags |= PersonState::kHasEvents;
  const bool dead_by_discharge = a.discharged_dead > 0 && (person->flags & PersonState::kDead) == 0;
  if (RegistryTotal(a) != person->registry_total || PaymentTotal(a) != person->payment_total ||
      dead_by_discharge) {
    VIGIL_RETURN_IF_ERROR(
        LoadEvents(store, nullptr, state, a.discharged_dead, LatestDischarge(a), person));
  }
  return Status::Ok();
}

}  // namespace vigil::screen
