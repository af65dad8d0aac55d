// Building and refreshing the screening state (screener_internal.h).
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <iterator>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>

#include "screener_internal.h"
#include "vigil/store.h"

namespace vigil::screen {
namespace {

// Aggregates of every known-at month (the far future includes them all).
constexpr Month kAllMonths = Month(std::chrono::year(9999), std::chrono::January);

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

Registration RegistrationOf(const PersonRecord& r) {
  return Registration{r.region, r.status, r.monthly_benefit.fen(), AccountHash(r.bank_account)};
}

void SetRegistrations(std::span<const Registration> regs, PersonState* p) {
  const size_t n = std::min<size_t>(regs.size(), 255);
  p->registration_count = static_cast<uint8_t>(n);
  p->more_registrations.reset();
  Registration* out = p->inline_registrations.data();
  if (n > 2) {
    p->more_registrations = std::make_unique<Registration[]>(n);
    out = p->more_registrations.get();
  }
  std::copy(regs.begin(), regs.begin() + static_cast<std::ptrdiff_t>(n), out);
}

// Folds one person's registry events and payments (in time order) into the flags, paid
// periods and references they imply. Shared by the build (a range scan of many persons) and
// the per-person refresh (one history visit).
class EventFold {
 public:
  explicit EventFold(const ScreeningState& state) : state_(state) {}

  void Reset() {
    sum_fen_ = {};
    payments_ = {};
    stored_paid_ = {};
    death_day_.reset();
    death_reported_ = 0;
    prison_day_ = std::numeric_limits<int32_t>::min();
    in_prison_ = false;
    missing_ = false;
    registry_total_ = 0;
    payment_total_ = 0;
  }

  Status Add(const EventView& event) {
    // Decoded into records kept across events: their string buffers are reused, so a scan of
    // millions of payments allocates nothing per payment.
    if (event.kind == EventKind::kPayment) {
      PaymentRecord& r = payment_;
      VIGIL_RETURN_IF_ERROR(event.DecodeInto(&r));
      const auto b = static_cast<size_t>(r.benefit);
      ++payment_total_;
      ++payments_[b];
      sum_fen_[b] += r.amount.fen();
      // Only the latest payment's account counts (events come in time order): hashed once
      // in Finish.
      last_account_text_[b].assign(r.bank_account);
      if (auto bit = state_.PeriodBit(r.period)) stored_paid_[b] |= uint64_t{1} << *bit;
      return Status::Ok();
    }
    if (event.kind != EventKind::kRegistry) return Status::Ok();
    RegistryRecord& r = registry_;
    VIGIL_RETURN_IF_ERROR(event.DecodeInto(&r));
    ++registry_total_;
    const int32_t day = DayNumber(r.event_date);
    switch (r.event) {
      case RegistryEvent::kDeath:
      case RegistryEvent::kCremation:
        if (!death_day_ || day < *death_day_) {
          death_day_ = day;
          death_reported_ = DayNumber(r.reported_date);
        }
        break;
      case RegistryEvent::kPrisonIn:
      case RegistryEvent::kPrisonOut:
        // Events come in event-date order: the latest one says where the person is.
        if (day >= prison_day_) {
          prison_day_ = day;
          in_prison_ = r.event == RegistryEvent::kPrisonIn;
        }
        break;
      case RegistryEvent::kMissing:
      case RegistryEvent::kEmigrated:
        missing_ = true;
        break;
      case RegistryEvent::kIdChange:
        break;
    }
    return Status::Ok();
  }

  // Writes what was folded into `p`. `discharged_dead` comes from the aggregates (a hospital
  // discharge "DIED" is a signal; reading every signal would cost more than it tells).
  void Finish(int64_t discharged_dead, int64_t latest_discharge, PersonState* p) const {
    p->flags &= static_cast<uint8_t>(PersonState::kHasEvents);
    p->death_day = 0;
    p->death_reported = 0;
    p->prison_month = 0;
    p->stored_paid = stored_paid_;
    p->payments = payments_;
    for (size_t b = 0; b < kBenefits; ++b) {
      p->last_account[b] = payments_[b] > 0 ? AccountHash(last_account_text_[b]) : 0;
    }
    p->registry_total = registry_total_;
    p->payment_total = payment_total_;
    for (size_t b = 0; b < kBenefits; ++b) {
      p->mean_fen[b] = payments_[b] > 0 ? sum_fen_[b] / payments_[b] : 0;
    }
    std::optional<int32_t> death_day = death_day_;
    int32_t death_reported = death_reported_;
    if (!death_day && discharged_dead > 0 && latest_discharge != MonthAggregate::kNoTime) {
      death_day = DayNumber(DateOf(TimestampFromSeconds(latest_discharge)));
      death_reported = *death_day;
    }
    if (death_day) {
      p->flags |= PersonState::kDead;
      p->death_day = *death_day;
      p->death_reported = death_reported;
    }
    if (in_prison_) {
      p->flags |= PersonState::kInPrison;
      p->prison_month = MonthNumber(MonthOf(DateFromDayNumber(prison_day_)));
    }
    if (missing_) p->flags |= PersonState::kMissing;
  }

 private:
  const ScreeningState& state_;
  std::array<int64_t, kBenefits> sum_fen_{};
  std::array<uint32_t, kBenefits> payments_{};
  std::array<uint64_t, kBenefits> stored_paid_{};
  std::array<std::string, kBenefits> last_account_text_;  // valid where payments_ > 0
  PaymentRecord payment_;
  RegistryRecord registry_;
  std::optional<int32_t> death_day_;
  int32_t death_reported_ = 0;
  int32_t prison_day_ = std::numeric_limits<int32_t>::min();
  bool in_prison_ = false;
  bool missing_ = false;
  uint32_t registry_total_ = 0;
  uint32_t payment_total_ = 0;
};

HistoryFilter RegistryAndPayments() {
  HistoryFilter filter;
  filter.kinds = {EventKind::kRegistry, EventKind::kPayment};
  return filter;
}

// Re-reads one person's registry events and payments (refresh).
Status LoadEvents(const Store& store, const ScreeningState& state, int64_t discharged_dead,
                  int64_t latest_discharge, PersonState* p) {
  EventFold fold(state);
  Status error;
  VIGIL_RETURN_IF_ERROR(
      store.VisitHistory(p->person_key, RegistryAndPayments(), [&](const EventView& event) {
        error = fold.Add(event);
        return error.ok();
      }));
  VIGIL_RETURN_IF_ERROR(error);
  fold.Finish(discharged_dead, latest_discharge, p);
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

// What the build needs of a person's aggregates (all months summed).
struct AggregateFacts {
  uint64_t person_key = 0;
  bool any = false;  // the person has events of any kind
  uint32_t registry_total = 0;
  uint32_t payment_total = 0;
  uint32_t ledger_digest = 0;  // MonthAggregate::ledger_digest, low 32 bits
  int64_t discharged_dead = 0;
  int64_t latest_discharge = MonthAggregate::kNoTime;
};

// Builds the states of the persons whose key is in [first, last], in key order: the union of
// those with a registration and those with events.
Status BuildRange(const Store& store, const Snapshot* snapshot, const ScreeningState& state,
                  uint64_t version, uint64_t first, uint64_t last, std::vector<PersonState>* out) {
  // Aggregates first: who has events, and the counts the freshness check compares later.
  std::vector<AggregateFacts> facts;
  MonthAggregate sum;
  uint64_t sum_key = 0;
  bool have_sum = false;
  auto flush_sum = [&] {
    if (!have_sum) return;
    AggregateFacts& f = facts.emplace_back();
    f.person_key = sum_key;
    f.any = !sum.empty();
    f.registry_total = RegistryTotal(sum);
    f.payment_total = PaymentTotal(sum);
    f.ledger_digest = static_cast<uint32_t>(sum.ledger_digest);
    f.discharged_dead = sum.discharged_dead;
    f.latest_discharge = LatestDischarge(sum);
    sum = MonthAggregate();
    have_sum = false;
  };
  VIGIL_RETURN_IF_ERROR(store.VisitAggregatesInRange(
      first, last,
      [&](uint64_t key, Month, const MonthAggregate& bucket) {
        if (have_sum && key != sum_key) flush_sum();
        sum_key = key;
        have_sum = true;
        sum.Merge(bucket);
        return true;
      },
      snapshot));
  flush_sum();

  // Then the registrations (grouped by person key: the scan is in key order), merged with the
  // persons who only have events, each state written once in its final place.
  out->clear();
  out->reserve(facts.size() + facts.size() / 32 + 16);
  std::vector<int32_t> fact_of;  // index into facts per person, -1 when none
  fact_of.reserve(out->capacity());
  size_t j = 0;
  auto events_only_before = [&](uint64_t key, bool all) {
    for (; j < facts.size() && (all || facts[j].person_key < key); ++j) {
      out->emplace_back().person_key = facts[j].person_key;
      fact_of.push_back(static_cast<int32_t>(j));
    }
  };
  std::vector<Registration> regs;
  uint64_t regs_key = 0;
  auto flush_regs = [&] {
    if (regs.empty()) return;
    events_only_before(regs_key, false);
    PersonState& p = out->emplace_back();
    p.person_key = regs_key;
    SetRegistrations(regs, &p);
    const bool has_facts = j < facts.size() && facts[j].person_key == regs_key;
    fact_of.push_back(has_facts ? static_cast<int32_t>(j++) : -1);
    regs.clear();
  };
  VIGIL_RETURN_IF_ERROR(store.ScanPersonsInRange(
      first, last,
      [&](const PersonRecord& r) {
        const uint64_t key = PersonKey(r.person_id);
        if (key != regs_key) flush_regs();
        regs_key = key;
        regs.push_back(RegistrationOf(r));
        return true;
      },
      snapshot));
  flush_regs();
  events_only_before(0, true);
  for (size_t k = 0; k < out->size(); ++k) {
    PersonState& p = (*out)[k];
    p.checked_version = version;
    if (fact_of[k] < 0) continue;
    const AggregateFacts& f = facts[static_cast<size_t>(fact_of[k])];
    if (f.any) p.flags |= PersonState::kHasEvents;
    p.ledger_digest = f.ledger_digest;
  }

  // Registry events and payments of the range, one person after the other.
  EventFold fold(state);
  size_t cursor = 0;  // the person the fold is for
  bool folding = false;
  Status error;
  auto finish = [&] {
    if (!folding) return;
    const int32_t f = fact_of[cursor];
    const AggregateFacts none;
    const AggregateFacts& a = f >= 0 ? facts[static_cast<size_t>(f)] : none;
    fold.Finish(a.discharged_dead, a.latest_discharge, &(*out)[cursor]);
    folding = false;
  };
  VIGIL_RETURN_IF_ERROR(store.VisitEventsInRange(
      first, last, RegistryAndPayments(),
      [&](const EventView& event) {
        if (!folding || (*out)[cursor].person_key != event.person_key) {
          finish();
          while (cursor < out->size() && (*out)[cursor].person_key < event.person_key) ++cursor;
          if (cursor == out->size() || (*out)[cursor].person_key != event.person_key) {
            // Written between the scans (a secondary without snapshots caught up meanwhile):
            // the version this state carries is older, so the person is re-read on its first
            // request anyway.
            return true;
          }
          fold.Reset();
          folding = true;
        }
        error = fold.Add(event);
        return error.ok();
      },
      snapshot));
  VIGIL_RETURN_IF_ERROR(error);
  finish();
  // A death known only from a hospital discharge (no registry event, no payment).
  for (size_t k = 0; k < out->size(); ++k) {
    PersonState& p = (*out)[k];
    if (fact_of[k] < 0 || p.registry_total != 0 || p.payment_total != 0) continue;
    const AggregateFacts& a = facts[static_cast<size_t>(fact_of[k])];
    if (a.discharged_dead > 0 && (p.flags & PersonState::kDead) == 0) {
      fold.Reset();
      fold.Finish(a.discharged_dead, a.latest_discharge, &p);
    }
  }
  return Status::Ok();
}

}  // namespace

uint64_t PersonKeyOf(std::string_view person_id) {
  if (person_id.empty() || person_id.back() != 'x') return PersonKey(person_id);
  std::string upper(person_id);
  upper.back() = 'X';
  return PersonKey(upper);
}

uint64_t AccountHash(std::string_view account) {
  // PersonKey is XXH3-64 of any text; the domain prefix keeps account and person keys apart.
  // A per-thread buffer: this runs for every request and every stored payment.
  thread_local std::string text;
  text.assign("account:");
  text += account;
  return PersonKey(text) | 1;  // never 0 (0 = "no account")
}

PersonState* ScreeningState::Find(uint64_t person_key) {
  if (slots_.empty()) return nullptr;
  constexpr uint32_t kIndexMask = (uint32_t{1} << kIndexBits) - 1;
  for (uint64_t s = person_key >> slot_shift_;; s = (s + 1) & slot_mask_) {
    const uint32_t v = slots_[s];
    if (v == 0) return nullptr;
    PersonState& p = parts[v >> kIndexBits][(v & kIndexMask) - 1];
    if (p.person_key == person_key) return &p;
  }
}

const PersonState* ScreeningState::FindBuiltOrOverflow(uint64_t person_key) {
  if (const PersonState* built = Find(person_key)) return built;
  std::lock_guard lock(overflow_mu_);
  const auto it = overflow_.find(person_key);
  return it == overflow_.end() ? nullptr : it->second.get();
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
  person_count = 0;
  for (const auto& part : parts) person_count += part.size();
  const size_t capacity = std::bit_ceil(std::max<size_t>(16, person_count * 2));
  slots_.assign(capacity, 0);
  slot_mask_ = capacity - 1;
  slot_shift_ = 64 - std::countr_zero(capacity);
  for (size_t part = 0; part < parts.size(); ++part) {
    for (size_t i = 0; i < parts[part].size(); ++i) {
      uint64_t s = parts[part][i].person_key >> slot_shift_;
      while (slots_[s] != 0) s = (s + 1) & slot_mask_;
      slots_[s] = static_cast<uint32_t>((part << kIndexBits) | (i + 1));
    }
  }
}

size_t ScreeningState::Bytes() const {
  size_t bytes = slots_.capacity() * sizeof(uint32_t);
  for (const auto& part : parts) {
    bytes += part.capacity() * sizeof(PersonState);
    for (const PersonState& p : part) bytes += p.HeapBytes();
  }
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
  state->anchor =
      run_date
          ? MonthOf(*run_date)
          : MonthOf(Date(std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())));

  // The person-key space is cut into equal ranges (keys are hashes, so the ranges hold about
  // as many persons each); each range is built by one task from three sequential scans
  // (registrations, aggregates, registry events and payments), never one seek per person.
  constexpr int kRangeShift = 58;
  constexpr size_t kRanges = size_t{1} << (64 - kRangeShift);
  std::vector<std::vector<PersonState>> parts(kRanges);
  std::atomic<bool> failed{false};
  Status first_error;
  std::mutex error_mu;
  std::atomic<uint64_t> done{0};
  const int threads = options.threads > 0 ? options.threads : tbb::task_arena::automatic;
  tbb::task_arena arena(threads);
  arena.execute([&] {
    tbb::parallel_for(
        tbb::blocked_range<size_t>(0, kRanges, 1), [&](const tbb::blocked_range<size_t>& range) {
          for (size_t part = range.begin(); part != range.end(); ++part) {
            if (failed) return;
            const uint64_t first = uint64_t{part} << kRangeShift;
            const uint64_t last = first | ((uint64_t{1} << kRangeShift) - 1);
            Status s =
                BuildRange(store, snapshot.get(), *state, version, first, last, &parts[part]);
            if (!s.ok()) {
              std::lock_guard lock(error_mu);
              if (!failed.exchange(true)) first_error = s;
              return;
            }
            const uint64_t now = ++done;
            if (options.progress) options.progress(now, kRanges);
          }
        });
  });
  if (failed) return first_error;
  // The index addresses a person by (range, index) in kIndexBits: a range holding more
  // (67 million persons in 1/64 of the key space) is beyond any city.
  for (const auto& part : parts) {
    if (part.size() >= (size_t{1} << ScreeningState::kIndexBits)) {
      return Status::FailedPrecondition("screening state: too many persons in one key range");
    }
  }
  state->parts = std::move(parts);
  state->BuildIndex();
  VIGIL_RETURN_IF_ERROR(LoadCases(store, snapshot.get(), state));
  state->build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::Ok();
}

Status RefreshPerson(const Store& store, const ScreeningState& state, PersonState* person) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<PersonRecord> rows, store.GetPersonRows(person->person_key));
  std::vector<MonthAggregate> aggs;
  const uint64_t key = person->person_key;
  VIGIL_RETURN_IF_ERROR(
      store.MultiGetAggregates(std::span<const uint64_t>(&key, 1), kAllMonths, &aggs));
  const MonthAggregate& a = aggs.front();
  std::vector<Registration> regs;
  regs.reserve(rows.size());
  for (const PersonRecord& r : rows) regs.push_back(RegistrationOf(r));
  SetRegistrations(regs, person);
  if (!a.empty()) person->flags |= PersonState::kHasEvents;
  const bool dead_by_discharge = a.discharged_dead > 0 && (person->flags & PersonState::kDead) == 0;
  // The digest also moves when a payment or registry event is corrected in place (the counts
  // stay): a period or account corrected after Open must reach the duplicate check.
  const auto ledger_digest = static_cast<uint32_t>(a.ledger_digest);
  if (RegistryTotal(a) != person->registry_total || PaymentTotal(a) != person->payment_total ||
      ledger_digest != person->ledger_digest || dead_by_discharge) {
    VIGIL_RETURN_IF_ERROR(LoadEvents(store, state, a.discharged_dead, LatestDischarge(a), person));
  }
  person->ledger_digest = ledger_digest;
  return Status::Ok();
}

}  // namespace vigil::screen
