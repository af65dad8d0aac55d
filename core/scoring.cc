#include "vigil/scoring.h"

#include <tbb/combinable.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_pipeline.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "case_output.h"
#include "certification_text.h"
#include "content_id.h"
#include "person_features.h"
#include "sorting.h"
#include "unfinished_loads.h"
#include "vigil/certification.h"
#include "vigil/isolation_forest.h"
#include "vigil/rules.h"
#include "vigil/store.h"
#include "vigil/tsan_hand_off.h"

namespace vigil {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Accumulates a stage's time over all threads (nanoseconds).
struct StageClock {
  std::atomic<int64_t> nanos{0};
  void Add(Clock::time_point start) {
    nanos += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
  }
  double seconds() const { return static_cast<double>(nanos.load()) * 1e-9; }
};

// A person's registrations, one row per region, consecutive in the persons scan. People who
// receive benefits without being in the pension registry (unemployment, survivors) have events
// but no registration: count 0.
struct PersonGroup {
  size_t first = 0;
  size_t count = 0;
  uint64_t person_key = 0;
};

// The events key orders by event time; the history contract wants these orders per kind.
void SortByContract(PersonHistory* history) {
  StableSortIfNeeded(history->contributions,
                     [](const auto& a, const auto& b) { return a.start_month < b.start_month; });
  StableSortIfNeeded(history->payments, [](const auto& a, const auto& b) {
    return a.period != b.period ? a.period < b.period : Days(a.paid_date) < Days(b.paid_date);
  });
  StableSortIfNeeded(history->signals,
                     [](const auto& a, const auto& b) { return a.occurred_at < b.occurred_at; });
  StableSortIfNeeded(history->registry, [](const auto& a, const auto& b) {
    return Days(a.event_date) < Days(b.event_date);
  });
  StableSortIfNeeded(history->appraisals, [](const auto& a, const auto& b) {
    return Days(a.appraisal_date) < Days(b.appraisal_date);
  });
}

// When a person has no registration, the id comes from the first row of the first non-empty
// kind, in this order.
void FillPersonIdFromEvents(PersonHistory* history) {
  if (!history->person_id.empty()) return;
  for (const auto* id :
       {history->payments.empty() ? nullptr : &history->payments[0].person_id,
        history->contributions.empty() ? nullptr : &history->contributions[0].person_id,
        history->signals.empty() ? nullptr : &history->signals[0].person_id,
        history->registry.empty() ? nullptr : &history->registry[0].person_id,
        history->appraisals.empty() ? nullptr : &history->appraisals[0].person_id}) {
    if (id != nullptr) {
      history->person_id = *id;
      return;
    }
  }
}

HistoryFilter AsOfFilter(Date as_of) {
  HistoryFilter filter;
  filter.known_by = StartOfDay(as_of) + std::chrono::hours(24) - std::chrono::seconds(1);
  return filter;
}

// Reads one person's history as known at the end of `as_of` (the snapshot fixes the state).
Status LoadHistory(const Store& store, const Snapshot* snapshot, uint64_t person_key,
                   std::span<const PersonRecord> rows, Date as_of, PersonHistory* history,
                   uint64_t* rows_read) {
  history->person_key = person_key;
  history->person_id = rows.empty() ? std::string() : rows.front().person_id;
  history->registrations.assign(rows.begin(), rows.end());
  history->contributions.clear();
  history->payments.clear();
  history->signals.clear();
  history->registry.clear();
  history->appraisals.clear();
  const HistoryFilter filter = AsOfFilter(as_of);
  Status decode_error;
  Status visited = store.VisitHistory(
      history->person_key, filter,
      [&](const EventView& event) {
        ++*rows_read;
        Status s;
        switch (event.kind) {
          case EventKind::kContribution: {
            auto r = event.AsContribution();
            if (r.ok()) {
              history->contributions.push_back(std::move(*r));
            } else {
              s = r.status();
            }
            break;
          }
          case EventKind::kPayment: {
            auto r = event.AsPayment();
            if (r.ok()) {
              history->payments.push_back(std::move(*r));
            } else {
              s = r.status();
            }
            break;
          }
          case EventKind::kSignal: {
            auto r = event.AsSignal();
            if (r.ok()) {
              history->signals.push_back(std::move(*r));
            } else {
              s = r.status();
            }
            break;
          }
          case EventKind::kRegistry: {
            auto r = event.AsRegistry();
            if (r.ok()) {
              history->registry.push_back(std::move(*r));
            } else {
              s = r.status();
            }
            break;
          }
          case EventKind::kAppraisal: {
            auto r = event.AsAppraisal();
            if (r.ok()) {
              history->appraisals.push_back(std::move(*r));
            } else {
              s = r.status();
            }
            break;
          }
        }
        if (!s.ok()) {
          decode_error = s;
          return false;
        }
        return true;
      },
      snapshot);
  VIGIL_RETURN_IF_ERROR(visited);
  VIGIL_RETURN_IF_ERROR(decode_error);
  FillPersonIdFromEvents(history);
  SortByContract(history);
  return Status::Ok();
}

// Recycles decoded records between persons: the next person's rows are decoded over the
// previous person's records (every field is overwritten), whose strings keep their buffers, so
// loading allocates only when a person holds more or longer rows than any before. Only the
// difference in row counts between two persons moves records in or out of the spare list.
template <typename T>
class RecordPool {
 public:
  // Starts a person: the records of `v` will be overwritten from the first.
  void Begin() { used_ = 0; }
  // The next record to decode into, appended to `v` when its old records are used up.
  T& Next(std::vector<T>& v) {
    if (used_ < v.size()) return v[used_++];
    ++used_;
    if (spare_.empty()) return v.emplace_back();
    v.push_back(std::move(spare_.back()));
    spare_.pop_back();
    return v.back();
  }
  // Ends a person: `v` keeps exactly the records decoded since Begin.
  void End(std::vector<T>& v) {
    while (v.size() > used_) {
      spare_.push_back(std::move(v.back()));
      v.pop_back();
    }
  }

 private:
  std::vector<T> spare_;
  size_t used_ = 0;
};

// Assembles persons' histories from one sequential scan of the events of a key range: one
// iterator for many persons instead of a seek per person, and records recycled between
// persons. For every person it produces exactly what LoadHistory does (the reference path,
// ScoreOptions::reference_loader; tests/core/scoring_paths_test.cc compares the two).
// Thread-safety: one loader per thread.
class RangeHistoryLoader {
 public:
  static constexpr size_t kUnknown = static_cast<size_t>(-1);

  RangeHistoryLoader(const Store& store, const Snapshot* snapshot, Date as_of,
                     const std::vector<PersonRecord>& registrations)
      : store_(store),
        snapshot_(snapshot),
        filter_(AsOfFilter(as_of)),
        registrations_(registrations) {}

  // Visits, in person-key order, every person whose key is in [first_key, last_key]: each
  // group of `known` (sorted by key, all within the range), with or without events, and each
  // person with events who is not in `known` as a new group {0, 0, key} (when `allow_unknown`;
  // otherwise such a person is an Internal error). `want(event, group)` says which events to
  // decode; the others are counted in *rows_read but left out of the history.
  // `visit(group, index in known or kUnknown, history)` returns false to stop.
  template <typename Want, typename Visit>
  Status Scan(uint64_t first_key, uint64_t last_key, std::span<const PersonGroup> known,
              bool allow_unknown, const Want& want, const Visit& visit, uint64_t* rows_read) {
    size_t next = 0;
    bool open = false;
    bool stopped = false;
    PersonGroup current;
    size_t current_index = kUnknown;
    Status error;
    // Emits the open person; false when the visitor stops.
    auto finish = [&] {
      open = false;
      contributions_.End(history_.contributions);
      payments_.End(history_.payments);
      signals_.End(history_.signals);
      registry_.End(history_.registry);
      appraisals_.End(history_.appraisals);
      FillPersonIdFromEvents(&history_);
      SortByContract(&history_);
      if (!visit(current, current_index, history_)) stopped = true;
      return !stopped;
    };
    auto start = [&](const PersonGroup& group, size_t index) {
      current = group;
      current_index = index;
      open = true;
      const std::span<const PersonRecord> rows(registrations_.data() + group.first, group.count);
      history_.person_key = group.person_key;
      if (rows.empty()) {
        history_.person_id.clear();
      } else {
        history_.person_id = rows.front().person_id;
      }
      history_.registrations.assign(rows.begin(), rows.end());
      contributions_.Begin();
      payments_.Begin();
      signals_.Begin();
      registry_.Begin();
      appraisals_.Begin();
    };
    // Emits the known persons before `key` (no events).
    auto flush_known_before = [&](uint64_t key, bool all) {
      while (next < known.size() && (all || known[next].person_key < key)) {
        start(known[next], next);
        ++next;
        if (!finish()) return false;
      }
      return true;
    };
    Status scanned = store_.VisitEventsInRange(
        first_key, last_key, filter_,
        [&](const EventView& event) {
          if (!open || event.person_key != current.person_key) {
            if (open && !finish()) return false;
            if (!flush_known_before(event.person_key, false)) return false;
            if (next < known.size() && known[next].person_key == event.person_key) {
              start(known[next], next);
              ++next;
            } else if (allow_unknown) {
              start(PersonGroup{0, 0, event.person_key}, kUnknown);
            } else {
              error = Status::Internal("score: person key " + std::to_string(event.person_key) +
                                       " has events but was not seen by the first pass");
              return false;
            }
          }
          ++*rows_read;
          if (!want(event, current)) return true;
          switch (event.kind) {
            case EventKind::kContribution:
              error = event.DecodeInto(&contributions_.Next(history_.contributions));
              break;
            case EventKind::kPayment:
              error = event.DecodeInto(&payments_.Next(history_.payments));
              break;
            case EventKind::kSignal:
              error = event.DecodeInto(&signals_.Next(history_.signals));
              break;
            case EventKind::kRegistry:
              error = event.DecodeInto(&registry_.Next(history_.registry));
              break;
            case EventKind::kAppraisal:
              error = event.DecodeInto(&appraisals_.Next(history_.appraisals));
              break;
          }
          return error.ok();
        },
        snapshot_);
    VIGIL_RETURN_IF_ERROR(scanned);
    VIGIL_RETURN_IF_ERROR(error);
    if (stopped) return Status::Ok();
    if (open && !finish()) return Status::Ok();
    flush_known_before(0, true);
    return Status::Ok();
  }

 private:
  const Store& store_;
  const Snapshot* snapshot_;
  const HistoryFilter filter_;
  const std::vector<PersonRecord>& registrations_;
  PersonHistory history_;
  RecordPool<ContributionRecord> contributions_;
  RecordPool<PaymentRecord> payments_;
  RecordPool<SignalRecord> signals_;
  RecordPool<RegistryRecord> registry_;
  RecordPool<AppraisalRecord> appraisals_;
};

// The whole-store passes split the key space into equal slices: person keys are hashes, so
// each slice holds about as many persons, and 256 slices keep 2 to 16 threads busy to the end.
constexpr size_t kKeySliceBits = 8;
constexpr size_t kKeySlices = size_t{1} << kKeySliceBits;

// First and last person key of a slice.
std::pair<uint64_t, uint64_t> KeySlice(size_t slice) {
  const uint64_t first = uint64_t{slice} << (64 - kKeySliceBits);
  return {first, first + ((uint64_t{1} << (64 - kKeySliceBits)) - 1)};
}

constexpr size_t kNotModelled = static_cast<size_t>(-1);
constexpr uint32_t kNotKept = static_cast<uint32_t>(-1);

// What fusion reads of a person whose full outcome is not kept (no rule hit): the
// certification outcome and whether certification doubted a concealed death.
uint8_t CompactOutcome(const PersonOutcome& outcome) {
  return static_cast<uint8_t>(static_cast<uint8_t>(outcome.certification.outcome) |
                              (outcome.certification.doubts.concealment() ? 0x80 : 0));
}

// A stand-in outcome with just what fusion reads of a person without rule hits: fusion decides
// from it exactly as from the full outcome whether the person is a case (only then is the full
// outcome derived again, for the case writer).
PersonOutcome SkeletonOutcome(uint8_t compact) {
  PersonOutcome outcome;
  outcome.certification.outcome = static_cast<Certification>(compact & 0x7f);
  // Fusion reads the doubts only as concealment(); any one of its flags stands for all.
  outcome.certification.doubts.card_only_tail = (compact & 0x80) != 0;
  return outcome;
}

// Everything the passes produce, before fusion and outputs. Memory per person is kept small
// and flat: the feature matrix, the peer key and one byte of outcome for everyone; the full
// outcome (certification evidence, hits, reasons) only for persons with a rule hit, the only
// ones who can become a case other than by the anomaly score (those few are derived again).
// `keep_all` (training, the reference loader) keeps everyone's full outcome instead.
struct ScoringState {
  bool keep_all = false;
  std::unique_ptr<Snapshot> snapshot;
  std::vector<PersonRecord> registrations;
  std::vector<PersonGroup> groups;
  CrossPersonFacts facts;
  std::vector<PersonOutcome> kept;    // in person-key order
  std::vector<uint32_t> kept_of;      // person index -> index in kept (kNotKept)
  std::vector<uint8_t> compact;       // person index -> CompactOutcome
  std::vector<float> feature_matrix;  // groups.size() x kPersonFeatureCount
  std::vector<PeerKey> peers;         // each person's peer group
  std::vector<float> model_matrix;    // modelled persons x AnomalyModelColumns().size()
  std::vector<size_t> model_rows;     // person index -> row of model_matrix (kNotModelled)
  std::vector<float> anomaly;
  std::optional<IsolationForest> forest;
  ScoreSummary summary;
  Clock::time_point wall_start = Clock::now();

  // A person's registrations: with the reference loader only (the fast path holds none; its
  // groups have first = 0).
  std::span<const PersonRecord> rows_of(size_t i) const {
    return {registrations.data() + groups[i].first, groups[i].count};
  }
};

// Groups consecutive persons rows of one person id (rows in key order): first and count
// index `rows`.
void GroupRegistrations(const std::vector<PersonRecord>& rows, std::vector<PersonGroup>* groups) {
  groups->clear();
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i == 0 || rows[i].person_id != rows[i - 1].person_id) {
      groups->push_back({i, 0, PersonKey(rows[i].person_id)});
    }
    ++groups->back().count;
  }
}

// Reads the persons rows of the keys [first_key, last_key] and groups them.
Status ReadRegistrations(const Store& store, const Snapshot* snapshot, uint64_t first_key,
                         uint64_t last_key, std::vector<PersonRecord>* rows,
                         std::vector<PersonGroup>* groups) {
  // The rows are assigned over the records `rows` already holds, whose strings keep their
  // buffers: a caller that passes the same vector again allocates only for longer rows.
  size_t n = 0;
  VIGIL_RETURN_IF_ERROR(store.ScanPersonsInRange(
      first_key, last_key,
      [&](const PersonRecord& row) {
        if (n < rows->size()) {
          (*rows)[n] = row;
        } else {
          rows->push_back(row);
        }
        ++n;
        return true;
      },
      snapshot));
  rows->resize(n);
  GroupRegistrations(*rows, groups);
  return Status::Ok();
}

// Points the groups of `known` that have registrations at `registered` (the same persons,
// read again for a key range): Internal when they are not the same persons and counts.
Status MatchRegistrations(const std::vector<PersonGroup>& registered,
                          std::vector<PersonGroup>* known) {
  size_t next = 0;
  for (PersonGroup& g : *known) {
    if (g.count == 0) continue;
    if (next >= registered.size() || registered[next].person_key != g.person_key ||
        registered[next].count != g.count) {
      return Status::Internal("score: the persons rows of key " + std::to_string(g.person_key) +
                              " differ between the passes");
    }
    g.first = registered[next++].first;
  }
  if (next != registered.size()) {
    return Status::Internal("score: a key range holds persons rows the first pass did not see");
  }
  return Status::Ok();
}

// The tests the data at hand turns off, as the population facts show it (ScoreSummary::
// data_notes): the operator should know that a rule is silent for want of data, not of fraud.
void NoteWhatTheDataTurnsOff(const CrossPersonFacts& facts, const Policy& policy,
                             std::vector<std::string>* notes) {
  if (facts.KnownShare() < policy.rules.footprint_share_min) {
    notes->push_back("only " + FormatFixed(100.0 * facts.KnownShare(), 1) +
                     "% of the persons are known to another agency (a signal other than card "
                     "use or a phone line, a registry event, an appraisal): the agencies' feeds "
                     "look missing, so FORGED_IDENTITY's crowded-address and namesake tests are "
                     "off (rules.footprint_share_min)");
  }
  if (facts.SeenSwitchShare() < policy.rules.hijack_seen_switch_share_min) {
    notes->push_back("only " + FormatFixed(100.0 * facts.SeenSwitchShare(), 1) + "% of the " +
                     std::to_string(facts.account_switches) +
                     " payee-account switches had a visit or face check that could have made "
                     "them: a switch without one is no evidence of ACCOUNT_HIJACK by itself here "
                     "(rules.hijack_seen_switch_share_min)");
  }
}

// The day of the person's newest signal known by `as_of` (INT32_MIN without one). Signals
// are in time order.
int32_t NewestSignalDay(const PersonHistory& history, Date as_of) {
  const Timestamp end = StartOfDay(as_of) + std::chrono::days(1);
  for (auto s = history.signals.rbegin(); s != history.signals.rend(); ++s) {
    if (s->occurred_at < end) return DayNumber(DateOf(s->occurred_at));
  }
  return INT32_MIN;
}

// A signals feed whose newest row is long before the date (a late delivery, or a date past
// the data): certification reads the missing days as missing evidence of life and asks nearly
// everyone to certify. The outcomes stand (the policy says what the evidence is worth); the
// operator is told why they look as they do.
void NoteALateSignalsFeed(int32_t newest_signal_day, const Policy& policy, Date as_of,
                          std::vector<std::string>* notes) {
  const int32_t today = DayNumber(as_of);
  if (newest_signal_day == INT32_MIN) {
    notes->push_back("no signal is known by " + FormatDate(as_of) +
                     ": without the signals feed nobody can be certified from the data, and "
                     "everyone without a registry event is asked to certify");
    return;
  }
  const int32_t late = today - newest_signal_day;
  if (late <= policy.certification.stale_feed_days) return;
  notes->push_back("the newest signal is from " + FormatDate(DateFromDayNumber(newest_signal_day)) +
                   ", " + std::to_string(late) + " days before " + FormatDate(as_of) +
                   ": the signals feed looks late (certification.stale_feed_days " +
                   std::to_string(policy.certification.stale_feed_days) +
                   "), and certification reads the missing days as missing evidence of life, "
                   "so most persons are asked to certify; load the late signals or score as of "
                   "the feed's newest date");
}

// The first failure of a parallel pass; later ones are dropped. Thread-safe.
class FirstFailure {
 public:
  void Fail(const Status& s) {
    const std::lock_guard lock(mutex_);
    if (!failed_.exchange(true)) first_ = s;
  }
  bool failed() const { return failed_.load(); }
  // The first failure; read once the pass has joined.
  const Status& status() const { return first_; }

 private:
  std::atomic<bool> failed_{false};
  std::mutex mutex_;
  Status first_;
};

// What pass 1 gathers besides the person list: the facts builders and the history rows read.
struct FactsPass {
  tbb::combinable<CrossPersonFactsBuilder> builders;
  tbb::combinable<uint64_t> rows_read{[] { return uint64_t{0}; }};
};

// Pass 1 with the reference loader: the registry of persons held for the whole run, then every
// person's history read by key, noting the population facts.
Status NoteFactsPersonByPerson(Store& store, const Policy& policy, const ScoreOptions& options,
                               ScoringState& state, FactsPass& pass) {
  ScoreSummary& summary = state.summary;
  std::vector<PersonRecord>& registrations = state.registrations;
  std::vector<PersonGroup>& groups = state.groups;
  const std::unique_ptr<Snapshot>& snapshot = state.snapshot;
  FirstFailure errors;
  std::atomic<uint64_t> done{0};
  auto start = Clock::now();
  // The registry of persons (all regions), held for the whole run and grouped by person key.
  VIGIL_RETURN_IF_ERROR(store.ScanPersons(
      [&](const PersonRecord& row) {
        registrations.push_back(row);
        return true;
      },
      snapshot.get()));
  std::vector<PersonGroup> registered;
  GroupRegistrations(registrations, &registered);
  // Everyone who has events (both lists are in person-key order): one seek per person.
  size_t next_registered = 0;
  VIGIL_RETURN_IF_ERROR(store.ScanEventPersonKeys(
      [&](uint64_t key) {
        while (next_registered < registered.size() &&
               registered[next_registered].person_key < key) {
          groups.push_back(registered[next_registered++]);
        }
        if (next_registered < registered.size() && registered[next_registered].person_key == key) {
          groups.push_back(registered[next_registered++]);
        } else {
          groups.push_back({0, 0, key});
        }
        return true;
      },
      snapshot.get()));
  while (next_registered < registered.size()) groups.push_back(registered[next_registered++]);
  summary.registrations = registrations.size();
  summary.stages.push_back({"read persons", SecondsSince(start)});

  // Pass 1: population facts.
  start = Clock::now();
  const ForkJoin fork_join;  // vigil/tsan_hand_off.h
  tbb::parallel_for(tbb::blocked_range<size_t>(0, groups.size(), options.batch_persons),
                    [&](const tbb::blocked_range<size_t>& range) {
                      const auto body = fork_join.Body();
                      if (errors.failed()) return;
                      PersonHistory history;
                      auto& builder = pass.builders.local();
                      uint64_t& rows = pass.rows_read.local();
                      for (size_t i = range.begin(); i != range.end(); ++i) {
                        Status s = LoadHistory(store, snapshot.get(), groups[i].person_key,
                                               state.rows_of(i), options.as_of, &history, &rows);
                        if (!s.ok()) {
                          errors.Fail(s);
                          return;
                        }
                        builder.Add(history, policy, options.as_of);
                      }
                      const uint64_t now = done += range.size();
                      if (options.progress) options.progress(now, groups.size(), "facts");
                    });
  fork_join.Joined();
  if (errors.failed()) return errors.status();
  summary.stages.push_back({"pass 1: read histories, note facts", SecondsSince(start)});
  return Status::Ok();
}

// Pass 1 by key slices: each slice reads its persons rows, then its histories in one scan,
// noting the population facts.
Status NoteFactsBySlice(Store& store, const Policy& policy, const ScoreOptions& options,
                        ScoringState& state, FactsPass& pass) {
  ScoreSummary& summary = state.summary;
  std::vector<PersonGroup>& groups = state.groups;
  const std::unique_ptr<Snapshot>& snapshot = state.snapshot;
  FirstFailure errors;
  std::atomic<uint64_t> done{0};
  const auto start = Clock::now();
  // Pass 1: population facts, slice by slice. A slice reads its persons rows, then its
  // events in one scan, which also finds its persons who have events but no registration.
  // The rows are dropped with the slice (pass 2 reads them again per batch), so no
  // per-registration memory is held across the run; each thread decodes its slices' rows over
  // the same records, whose strings keep their buffers.
  tbb::enumerable_thread_specific<std::vector<PersonRecord>> slice_rows;
  std::vector<std::vector<PersonGroup>> slice_groups(kKeySlices);
  std::atomic<uint64_t> slices_done{0};
  std::atomic<uint64_t> registration_rows{0};
  const ForkJoin fork_join;
  tbb::parallel_for(
      tbb::blocked_range<size_t>(0, kKeySlices, 1), [&](const tbb::blocked_range<size_t>& range) {
        const auto body = fork_join.Body();
        for (size_t slice = range.begin(); slice != range.end() && !errors.failed(); ++slice) {
          const auto [first, last] = KeySlice(slice);
          std::vector<PersonRecord>& rows = slice_rows.local();
          std::vector<PersonGroup> registered;
          Status s = ReadRegistrations(store, snapshot.get(), first, last, &rows, &registered);
          if (!s.ok()) {
            errors.Fail(s);
            return;
          }
          registration_rows += rows.size();
          CrossPersonFactsFilter facts_filter;
          auto facts_need = [&](const EventView& event, const PersonGroup& g) {
            // Most rows are signals, and the facts read few sources: peek before decoding.
            // A source that cannot be read is decoded in full, which reports the damage.
            SignalSource source{};
            if (event.kind == EventKind::kSignal && !event.SignalSourceInto(&source).ok()) {
              return true;
            }
            return facts_filter.Reads(
                g.person_key, event.kind, source,
                std::span<const PersonRecord>(rows.data() + g.first, g.count));
          };
          RangeHistoryLoader loader(store, snapshot.get(), options.as_of, rows);
          auto& builder = pass.builders.local();
          std::vector<PersonGroup>& out = slice_groups[slice];
          s = loader.Scan(
              first, last, registered, /*allow_unknown=*/true, facts_need,
              [&](const PersonGroup& g, size_t, const PersonHistory& history) {
                out.push_back({0, g.count, g.person_key});
                builder.Add(history, policy, options.as_of);
                return true;
              },
              &pass.rows_read.local());
          if (!s.ok()) {
            errors.Fail(s);
            return;
          }
          const uint64_t now = done += out.size();
          const uint64_t slices = ++slices_done;
          if (options.progress) options.progress(now, now * kKeySlices / slices, "facts");
        }
      });
  fork_join.Joined();
  if (errors.failed()) return errors.status();
  size_t total = 0;
  for (const auto& g : slice_groups) total += g.size();
  groups.reserve(total);
  for (auto& g : slice_groups) {
    groups.insert(groups.end(), g.begin(), g.end());
    std::vector<PersonGroup>().swap(g);
  }
  summary.registrations = registration_rows;
  summary.stages.push_back({"pass 1: read persons and histories, note facts", SecondsSince(start)});
  return Status::Ok();
}

// Pass 2: certification, rules and features per person, in batches through a TBB pipeline.
// A batch formats its certification rows and keeps the outcomes fusion will need; the last
// stage, in person-key order, appends the rows to the file and the outcomes to the state.
// Unless state.keep_all, the certification rows go to `writer` as they are decided.
Status DecideEveryone(Store& store, const Policy& policy, const ScoreOptions& options,
                      OutputWriter* writer, ScoringState& state) {
  ScoreSummary& summary = state.summary;
  const std::vector<PersonGroup>& groups = state.groups;
  const std::unique_ptr<Snapshot>& snapshot = state.snapshot;
  const CrossPersonFacts& facts = state.facts;
  std::vector<float>& feature_matrix = state.feature_matrix;
  FirstFailure errors;
  std::atomic<uint64_t> done{0};
  const auto start = Clock::now();
  StageClock load_clock, certify_clock, rules_clock, features_clock;
  const bool keep_all = state.keep_all || writer == nullptr;
  state.keep_all = keep_all;
  state.kept.clear();
  state.kept_of.assign(groups.size(), kNotKept);
  state.compact.assign(groups.size(), 0);
  feature_matrix.assign(groups.size() * kPersonFeatureCount, 0.0f);
  state.peers.assign(groups.size(), 0);
  struct Batch {
    size_t begin = 0;
    size_t end = 0;
    std::string certification;  // certification.csv rows
    CertificationCounts counts;
    std::vector<std::pair<size_t, PersonOutcome>> kept;
    int32_t newest_signal_day = INT32_MIN;  // the batch's newest signal known by the date
  };
  size_t next_batch = 0;
  // Each thread's persons rows of its last batch, decoded over by its next (ReadRegistrations).
  tbb::enumerable_thread_specific<std::vector<PersonRecord>> thread_rows;
  int32_t newest_signal_day = INT32_MIN;  // over everyone, for NoteALateSignalsFeed
  const size_t tokens =
      4 * static_cast<size_t>(std::max(1, tbb::this_task_arena::max_concurrency()));
  // Decides one person whose history is loaded; returns the nanoseconds spent.
  auto decide = [&](size_t i, const PersonHistory& history, Batch& batch) {
    PersonOutcome out;
    auto t = Clock::now();
    const auto t0 = t;
    out.certification = Certify(history, policy, options.as_of, &facts);
    certify_clock.Add(t);
    t = Clock::now();
    out.hits = ApplyRules(history, facts, out.certification, policy, options.as_of);
    rules_clock.Add(t);
    t = Clock::now();
    ComputePersonFeatures(history, facts, out.certification, out.hits, policy, options.as_of,
                          &feature_matrix[i * kPersonFeatureCount], &state.peers[i]);
    SummarisePerson(history, &out);
    batch.newest_signal_day =
        std::max(batch.newest_signal_day, NewestSignalDay(history, options.as_of));
    out.person_id = history.person_id;
    state.compact[i] = CompactOutcome(out);
    if (!keep_all) {
      AppendCertificationRows(history.registrations, out, &batch.certification, &batch.counts);
    }
    if (keep_all || !out.hits.empty()) batch.kept.emplace_back(i, std::move(out));
    features_clock.Add(t);
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
  };
  auto all_kinds = [](const EventView&, const PersonGroup&) { return true; };
  // Batches live here between the stages: tbb filters pass values, and a pointer is cheap.
  std::vector<Batch> batches((groups.size() + options.batch_persons - 1) / options.batch_persons);
  AnnotateHandOff(&next_batch);  // the first filter's turns continue this thread
  tbb::parallel_pipeline(
      tokens,
      tbb::make_filter<void, Batch*>(tbb::filter_mode::serial_in_order,
                                     [&](tbb::flow_control& fc) -> Batch* {
                                       const HandOffTurn turn(&next_batch);
                                       if (next_batch >= groups.size() || errors.failed()) {
                                         fc.stop();
                                         return nullptr;
                                       }
                                       Batch& batch = batches[next_batch / options.batch_persons];
                                       batch.begin = next_batch;
                                       batch.end = next_batch = std::min(
                                           groups.size(), batch.begin + options.batch_persons);
                                       AnnotateHandOff(&batch);
                                       return &batch;
                                     }) &
          tbb::make_filter<Batch*, Batch*>(
              tbb::filter_mode::parallel,
              [&](Batch* batch) -> Batch* {
                const HandOffTurn token(batch);
                // The loaders count the rows they read; pass 1 has counted them already.
                uint64_t rows = 0;
                if (options.reference_loader) {
                  PersonHistory history;
                  for (size_t i = batch->begin; i < batch->end && !errors.failed(); ++i) {
                    auto t = Clock::now();
                    Status s = LoadHistory(store, snapshot.get(), groups[i].person_key,
                                           state.rows_of(i), options.as_of, &history, &rows);
                    load_clock.Add(t);
                    if (!s.ok()) {
                      errors.Fail(s);
                      break;
                    }
                    decide(i, history, *batch);
                  }
                  return batch;
                }
                const auto t = Clock::now();
                int64_t deciding = 0;
                // The batch's persons rows, read again (pass 1 dropped them), must be those
                // pass 1 saw: the same snapshot. Decoded over this thread's records of its
                // previous batch.
                std::vector<PersonRecord>& batch_rows = thread_rows.local();
                std::vector<PersonGroup> registered;
                std::vector<PersonGroup> known(
                    groups.begin() + static_cast<ptrdiff_t>(batch->begin),
                    groups.begin() + static_cast<ptrdiff_t>(batch->end));
                Status s = ReadRegistrations(store, snapshot.get(), known.front().person_key,
                                             known.back().person_key, &batch_rows, &registered);
                if (s.ok()) s = MatchRegistrations(registered, &known);
                if (!s.ok()) {
                  errors.Fail(s);
                  return batch;
                }
                RangeHistoryLoader loader(store, snapshot.get(), options.as_of, batch_rows);
                s = loader.Scan(
                    known.front().person_key, known.back().person_key, known,
                    /*allow_unknown=*/false, all_kinds,
                    [&](const PersonGroup&, size_t index, const PersonHistory& history) {
                      deciding += decide(batch->begin + index, history, *batch);
                      return !errors.failed();
                    },
                    &rows);
                if (!s.ok()) errors.Fail(s);
                load_clock.nanos +=
                    std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t).count() -
                    deciding;
                return batch;
              }) &
          tbb::make_filter<Batch*, void>(tbb::filter_mode::serial_in_order, [&](Batch* batch) {
            const HandOffTurn token(batch);
            const HandOffTurn turn(&summary);
            if (!keep_all && !errors.failed()) {
              Status s = writer->AppendCertification(batch->certification);
              if (!s.ok()) errors.Fail(s);
              summary.certified += batch->counts.certified;
              summary.needs_active += batch->counts.needs_active;
              summary.suspended += batch->counts.suspended;
            }
            newest_signal_day = std::max(newest_signal_day, batch->newest_signal_day);
            for (auto& [i, outcome] : batch->kept) {
              state.kept_of[i] = static_cast<uint32_t>(state.kept.size());
              state.kept.push_back(std::move(outcome));
            }
            const size_t n = batch->end - batch->begin;
            std::string().swap(batch->certification);
            std::vector<std::pair<size_t, PersonOutcome>>().swap(batch->kept);
            const uint64_t now = done += n;
            if (options.progress) options.progress(now, groups.size(), "score");
          }));
  // Every batch ended in the last filter, whose turns handed off `summary` (vigil/tsan_hand_off.h).
  AnnotateTakeOver(&summary);
  if (errors.failed()) return errors.status();
  summary.stages.push_back({"pass 2: load histories (thread time)", load_clock.seconds()});
  summary.stages.push_back({"pass 2: certification (thread time)", certify_clock.seconds()});
  summary.stages.push_back({"pass 2: rules (thread time)", rules_clock.seconds()});
  summary.stages.push_back({"pass 2: features (thread time)", features_clock.seconds()});
  summary.stages.push_back({"pass 2 (wall)", SecondsSince(start)});
  NoteALateSignalsFeed(newest_signal_day, policy, options.as_of, &summary.data_notes);
  return Status::Ok();
}

// The anomaly model, fitted on the population at hand and scored on it (state.anomaly).
Status FitAnomalyModel(const Policy& policy, const ScoreOptions& options, ScoringState& state) {
  ScoreSummary& summary = state.summary;
  const std::vector<PersonGroup>& groups = state.groups;
  std::vector<float>& feature_matrix = state.feature_matrix;
  const auto start = Clock::now();
  std::vector<float>& anomaly = state.anomaly;
  anomaly.assign(groups.size(), 0.0f);
  std::optional<IsolationForest>& forest = state.forest;
  RelateToPeers(policy, state.peers, groups.size(), feature_matrix.data());
  const std::vector<size_t>& columns = AnomalyModelColumns();
  // Only pensioners (a registration, hence peers) are modelled: a claimant without one has no
  // age, retirement or benefit in the registry, and beside pensioners that absence alone would
  // isolate them. They keep the neutral score.
  std::vector<float>& model_matrix = state.model_matrix;
  state.model_rows.assign(groups.size(), kNotModelled);
  model_matrix.clear();
  size_t modelled = 0;
  for (size_t i = 0; i < groups.size(); ++i) {
    if (state.peers[i] == 0) continue;
    state.model_rows[i] = modelled++;
    for (size_t column : columns) {
      model_matrix.push_back(feature_matrix[i * kPersonFeatureCount + column]);
    }
  }
  std::fill(anomaly.begin(), anomaly.end(), 0.5f);
  if (modelled >= 2) {
    IsolationForestOptions forest_options;
    forest_options.trees = options.forest_trees;
    forest_options.samples = options.forest_samples;
    forest_options.seed = options.forest_seed;
    auto fitted =
        IsolationForest::Fit(model_matrix.data(), modelled, columns.size(), forest_options);
    if (!fitted.ok()) return fitted.status().WithContext("isolation forest");
    forest = std::move(*fitted);
    std::vector<float> scores(modelled);
    forest->Score(model_matrix.data(), modelled, scores.data());
    for (size_t i = 0; i < groups.size(); ++i) {
      if (state.model_rows[i] != kNotModelled) anomaly[i] = scores[state.model_rows[i]];
    }
    summary.model_id = forest->model_id();
  } else {
    summary.model_id = "iforest-none";  // too few persons to fit: every anomaly score is 0.5
  }
  summary.stages.push_back({"isolation forest fit + score", SecondsSince(start)});
  return Status::Ok();
}

// Reads the persons, gathers the population facts, certifies and applies the rules to
// everyone, and scores the anomaly model: all from one snapshot. Unless state.keep_all, the
// certification rows go to `writer` as the second pass decides them.
Status RunPasses(Store& store, const Policy& policy, const ScoreOptions& options,
                 OutputWriter* writer, ScoringState& state) {
  if (!options.as_of.ok()) return Status::InvalidArgument("score: --as-of is required");
  if (options.batch_persons == 0) {
    return Status::InvalidArgument("score: batch_persons must be > 0");
  }
  ScoreSummary& summary = state.summary;
  summary.cases_per_pattern.assign(CodeCount<Pattern>(), 0);
  state.snapshot = store.GetSnapshot();

  // Pass 1: the persons and the population facts.
  FactsPass pass;
  VIGIL_RETURN_IF_ERROR(options.reference_loader
                            ? NoteFactsPersonByPerson(store, policy, options, state, pass)
                            : NoteFactsBySlice(store, policy, options, state, pass));
  summary.persons = state.groups.size();
  pass.rows_read.combine_each([&](uint64_t n) { summary.history_rows += n; });
  const auto start = Clock::now();
  CrossPersonFactsBuilder merged;
  pass.builders.combine_each([&](CrossPersonFactsBuilder& b) { merged.Merge(std::move(b)); });
  state.facts = merged.Finish();
  summary.stages.push_back({"pass 1: merge and count facts", SecondsSince(start)});
  NoteWhatTheDataTurnsOff(state.facts, policy, &summary.data_notes);

  // Pass 2: every person decided.
  VIGIL_RETURN_IF_ERROR(DecideEveryone(store, policy, options, writer, state));
  // Whether an underpayment is the payroll's practice is a fact of the population: known only
  // once everyone is scored. The persons concerned have a rule hit, so they are kept in full.
  size_t pensioners = 0;
  for (const PersonGroup& g : state.groups) pensioners += g.count > 0 ? 1 : 0;
  DemoteRoutineUnderpayments(policy, pensioners, &state.kept);

  return FitAnomalyModel(policy, options, state);
}

// The stored fusion model, behind a header naming the version of its inputs and the as-of date
// of the data it was fitted on: a backtest (scoring an earlier date) must not use what was
// learned from later labels. Version 2: log_overpaid is the case's amount (each payment once
// over all hits), not the largest hit's. Older stores hold the bare model text (version 1
// inputs, fitted at an unknown date).
constexpr std::string_view kFusionFormat = "vigil-fusion 2";
constexpr std::string_view kFusionDateField = "\nfitted_as_of ";

std::string StoredFusionText(Date fitted_as_of, const LogisticModel& model) {
  return std::string(kFusionFormat) + std::string(kFusionDateField) + FormatDate(fitted_as_of) +
         "\n" + model.Serialize();
}

struct FusionChoice {
  std::optional<LogisticModel> model;  // the learned model that decides, if any
  std::string id;                      // "fusion-<content id>" of that model
  std::string note;                    // for the run's notes: why a stored model is not used
};

// The fusion that decides a run as of `as_of`: the stored model when its inputs are this
// build's and it was fitted on data as of that date or earlier, else the policy's default with
// a note saying why.
Result<FusionChoice> ChooseFusion(const Store& store, Date as_of) {
  FusionChoice choice;
  auto text = store.GetMeta("fusion_model");
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) return choice;
    return text.status();
  }
  std::string_view model_text = *text;
  const std::string header = std::string(kFusionFormat) + std::string(kFusionDateField);
  if (!model_text.starts_with(header)) {
    choice.note =
        "the stored fusion model is not of this build's format (" + std::string(kFusionFormat) +
        "): it was fitted on inputs this build computes differently, by an older or newer vigil "
        "train; the policy's default fusion decided; run vigil train again";
    return choice;
  }
  model_text.remove_prefix(header.size());
  const size_t end = model_text.find('\n');
  auto fitted = ParseDate(model_text.substr(0, end));
  if (end == std::string_view::npos || !fitted.ok()) {
    return Status::Corruption("the stored fusion model has no valid fitted_as_of date");
  }
  model_text.remove_prefix(end + 1);
  VIGIL_ASSIGN_OR_RETURN(LogisticModel model, LogisticModel::Deserialize(model_text));
  if (model.num_features() != kFusionInputCount) {
    return Status::Corruption("the stored fusion model has " +
                              std::to_string(model.num_features()) + " inputs where its format (" +
                              std::string(kFusionFormat) + ") has " +
                              std::to_string(kFusionInputCount));
  }
  if (*fitted > as_of) {
    choice.note = "the stored fusion model was fitted on the data as of " + FormatDate(*fitted) +
                  ", after this run's as-of date: the policy's default fusion decided instead, "
                  "so that a backtest learns nothing from later labels";
    return choice;
  }
  choice.id = "fusion-" + ContentId(*text);
  choice.model = std::move(model);
  return choice;
}

// Derives again the full outcome of a person the pass kept only as a byte (no rule hit) and
// fusion made a case: the same snapshot, history, facts and policy give the same decisions,
// which is checked (still no hit, the same byte).
Status DeriveAgain(const Store& store, const Policy& policy, const ScoreOptions& options,
                   const ScoringState& state, size_t i, PersonOutcome* out) {
  const uint64_t key = state.groups[i].person_key;
  std::vector<PersonRecord> registrations;
  std::vector<PersonGroup> registered;
  VIGIL_RETURN_IF_ERROR(
      ReadRegistrations(store, state.snapshot.get(), key, key, &registrations, &registered));
  std::vector<PersonGroup> known = {state.groups[i]};
  VIGIL_RETURN_IF_ERROR(MatchRegistrations(registered, &known));
  PersonHistory history;
  uint64_t rows = 0;
  VIGIL_RETURN_IF_ERROR(LoadHistory(
      store, state.snapshot.get(), key,
      std::span<const PersonRecord>(registrations.data() + known[0].first, known[0].count),
      options.as_of, &history, &rows));
  out->certification = Certify(history, policy, options.as_of, &state.facts);
  out->hits = ApplyRules(history, state.facts, out->certification, policy, options.as_of);
  SummarisePerson(history, out);
  out->person_id = history.person_id;
  if (!out->hits.empty() || CompactOutcome(*out) != state.compact[i]) {
    return Status::Internal("score: person key " + std::to_string(state.groups[i].person_key) +
                            " decided differently when derived again");
  }
  return Status::Ok();
}

// Fusion of one person: the rule hits, the anomaly score and its explanation, against the
// policy with ANOMALY's cut set from the whole run (the review budget's quantile of the
// unexplained people's scores). Thread-safe once made: it only reads the state.
class PersonFusion {
 public:
  PersonFusion(const Policy& policy, const ScoringState& state,
               const std::optional<LogisticModel>& learned)
      : policy_(policy), state_(state), learned_(learned) {
    std::vector<RuleJudgement> judged(state.groups.size(), RuleJudgement::kNone);
    for (size_t i = 0; i < judged.size(); ++i) {
      if (state.kept_of[i] != kNotKept) {
        judged[i] = JudgeByRules(policy, state.kept[state.kept_of[i]].hits);
      }
    }
    policy_.rules.anomaly_flag_score = AnomalyThreshold(policy, judged, state.anomaly);
  }

  void operator()(size_t i, PersonOutcome* outcome) const {
    const std::vector<size_t>& columns = AnomalyModelColumns();
    std::vector<FeatureContribution> top;
    if (state_.forest && state_.model_rows[i] != kNotModelled &&
        state_.anomaly[i] >= policy_.rules.anomaly_flag_score) {
      top = state_.forest->Explain(&state_.model_matrix[state_.model_rows[i] * columns.size()], 3);
      for (FeatureContribution& f : top) f.feature = columns[f.feature];
    }
    const float* row = &state_.feature_matrix[i * kPersonFeatureCount];
    if (learned_) {
      FuseLearned(policy_, *learned_, state_.anomaly[i], top, outcome, row);
    } else {
      FusePerson(policy_, state_.anomaly[i], top, outcome, row);
    }
  }

 private:
  Policy policy_;
  const ScoringState& state_;
  const std::optional<LogisticModel>& learned_;
};

// Fuses everyone. Persons whose full outcome was not kept are fused from its skeleton; returns
// those it makes a case, in person order, to be derived again.
std::vector<size_t> FuseEveryone(ScoringState& state, const PersonFusion& fuse) {
  const size_t persons = state.groups.size();
  std::vector<uint8_t> derive_again(persons, 0);
  const ForkJoin fuse_all;  // vigil/tsan_hand_off.h
  tbb::parallel_for(size_t{0}, persons, [&](size_t i) {
    const auto body = fuse_all.Body();
    if (state.kept_of[i] != kNotKept) {
      fuse(i, &state.kept[state.kept_of[i]]);
      return;
    }
    PersonOutcome skeleton = SkeletonOutcome(state.compact[i]);
    fuse(i, &skeleton);
    if (skeleton.flagged()) derive_again[i] = 1;
  });
  fuse_all.Joined();
  std::vector<size_t> again;
  for (size_t i = 0; i < persons; ++i) {
    if (derive_again[i] != 0) again.push_back(i);
  }
  return again;
}

// The cases in person-key order: the kept outcomes that fusion flagged, and the outcomes of
// `again` derived in full (into *derived) and fused.
Result<std::vector<const PersonOutcome*>> CasesInKeyOrder(const Store& store, const Policy& policy,
                                                          const ScoreOptions& options,
                                                          ScoringState& state,
                                                          const PersonFusion& fuse,
                                                          const std::vector<size_t>& again,
                                                          std::vector<PersonOutcome>* derived) {
  derived->assign(again.size(), PersonOutcome());
  std::vector<Status> derived_status(again.size());
  const ForkJoin derive_all;
  tbb::parallel_for(size_t{0}, again.size(), [&](size_t k) {
    const auto body = derive_all.Body();
    derived_status[k] = DeriveAgain(store, policy, options, state, again[k], &(*derived)[k]);
    if (derived_status[k].ok()) fuse(again[k], &(*derived)[k]);
  });
  derive_all.Joined();
  for (const Status& s : derived_status) VIGIL_RETURN_IF_ERROR(s);
  std::vector<const PersonOutcome*> flagged;
  for (size_t i = 0, k = 0; i < state.groups.size(); ++i) {
    if (state.kept_of[i] != kNotKept) {
      if (state.kept[state.kept_of[i]].flagged()) flagged.push_back(&state.kept[state.kept_of[i]]);
    } else if (k < again.size() && again[k] == i) {
      if (!(*derived)[k].flagged()) {
        return Status::Internal("score: person key " + std::to_string(state.groups[i].person_key) +
                                " is a case from the compact outcome, not from the full one");
      }
      flagged.push_back(&(*derived)[k++]);
    }
  }
  return flagged;
}

// The certification rows of the reference path, which kept everyone's outcome: formatted now,
// from the outcomes, as the output writer did before rows were streamed.
Status AppendKeptCertificationRows(ScoringState& state, OutputWriter* writer) {
  const size_t persons = state.groups.size();
  std::string text;
  CertificationCounts counts;
  for (size_t i = 0; i < persons; ++i) {
    AppendCertificationRows(state.rows_of(i), state.kept[state.kept_of[i]], &text, &counts);
    if (text.size() >= (size_t{1} << 20) || i + 1 == persons) {
      VIGIL_RETURN_IF_ERROR(writer->AppendCertification(text));
      text.clear();
    }
  }
  state.summary.certified += counts.certified;
  state.summary.needs_active += counts.needs_active;
  state.summary.suspended += counts.suspended;
  return Status::Ok();
}

}  // namespace

std::vector<std::string> FusionInputNames() {
  return {FusionInputs().begin(), FusionInputs().end()};
}

Result<ScoreSummary> ScoreAll(Store& store, const Policy& policy, const ScoreOptions& options) {
  if (options.out_dir.empty()) return Status::InvalidArgument("score: --out is required");
  // Scoring part of a delivery would certify nobody on the rows it has not read and flag
  // nothing they show, and say so nowhere.
  VIGIL_RETURN_IF_ERROR(CheckNoUnfinishedLoad(store, "before scoring", false));
  std::error_code fs_error;
  std::filesystem::create_directories(options.out_dir, fs_error);
  if (fs_error) {
    return Status::IoError(options.out_dir + ": cannot create folder: " + fs_error.message());
  }
  VIGIL_ASSIGN_OR_RETURN(FusionChoice fusion_choice, ChooseFusion(store, options.as_of));
  const std::optional<LogisticModel>& fusion = fusion_choice.model;
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<OutputWriter> writer, OutputWriter::Open(options.out_dir));
  ScoringState state;
  state.keep_all = options.reference_loader;
  VIGIL_RETURN_IF_ERROR(RunPasses(store, policy, options, writer.get(), state));
  ScoreSummary& summary = state.summary;
  // The run id names the learned fusion too: its risks differ from the default's.
  if (fusion) summary.model_id += "/" + fusion_choice.id;
  if (!fusion_choice.note.empty()) summary.data_notes.push_back(fusion_choice.note);

  auto start = Clock::now();
  const PersonFusion fuse(policy, state, fusion);
  const std::vector<size_t> again = FuseEveryone(state, fuse);
  summary.stages.push_back(
      {fusion ? "fusion (learned)" : "fusion (policy default)", SecondsSince(start)});

  start = Clock::now();
  std::vector<PersonOutcome> derived;
  VIGIL_ASSIGN_OR_RETURN(std::vector<const PersonOutcome*> flagged,
                         CasesInKeyOrder(store, policy, options, state, fuse, again, &derived));
  summary.stages.push_back(
      {"cases without rule hits derived again: " + std::to_string(again.size()),
       SecondsSince(start)});

  start = Clock::now();
  CaseWriterOptions writer_options;
  writer_options.out_dir = options.out_dir;
  writer_options.as_of = options.as_of;
  writer_options.policy_version = policy.version;
  writer_options.model_id = summary.model_id;
  writer_options.data_notes = summary.data_notes;
  if (state.keep_all) VIGIL_RETURN_IF_ERROR(AppendKeptCertificationRows(state, writer.get()));
  Store* case_store = options.store_cases ? &store : nullptr;
  VIGIL_RETURN_IF_ERROR(writer->WriteCases(writer_options, flagged, &summary));
  const auto commit_start = Clock::now();
  VIGIL_RETURN_IF_ERROR(writer->Commit(writer_options, case_store));
  summary.stages.push_back({case_store != nullptr
                                ? "write outputs: files renamed, cases into the store"
                                : "write outputs: files renamed",
                            SecondsSince(commit_start)});
  summary.stages.push_back({"write outputs", SecondsSince(start)});
  summary.wall_seconds = SecondsSince(state.wall_start);
  return summary;
}

Result<TrainSummary> TrainFusion(Store& store, const Policy& policy, const ScoreOptions& options,
                                 const FusionLabels& labels) {
  // The model learnt from part of a delivery would decide every later run.
  VIGIL_RETURN_IF_ERROR(CheckNoUnfinishedLoad(store, "before training", false));
  ScoringState state;
  state.keep_all = true;
  VIGIL_RETURN_IF_ERROR(RunPasses(store, policy, options, nullptr, state));
  TrainSummary train;
  train.persons = state.groups.size();
  std::vector<float> inputs;
  std::vector<uint8_t> y;
  for (size_t i = 0; i < state.groups.size(); ++i) {
    const PersonOutcome& outcome = state.kept[state.kept_of[i]];
    auto it = labels.find(outcome.person_id);
    if (it == labels.end()) continue;
    const size_t row = inputs.size();
    inputs.resize(row + kFusionInputCount);
    ComputeFusionInputs(outcome, state.anomaly[i], &inputs[row], policy.rules.pattern_min_strength);
    y.push_back(it->second);
    train.positives += it->second;
  }
  train.labelled = y.size();
  VIGIL_ASSIGN_OR_RETURN(LogisticModel model,
                         LogisticModel::Fit(inputs.data(), y.size(), kFusionInputCount, y.data()));
  double loss = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    const double p = std::clamp(model.Predict(&inputs[i * kFusionInputCount]), 1e-12, 1 - 1e-12);
    loss -= y[i] ? std::log(p) : std::log(1 - p);
  }
  train.train_log_loss = y.empty() ? 0 : loss / static_cast<double>(y.size());
  train.iterations = model.iterations();
  for (size_t j = 0; j < kFusionInputCount; ++j) {
    train.weights.emplace_back(FusionInputs()[j], model.weights()[j]);
  }
  VIGIL_RETURN_IF_ERROR(store.PutMeta("fusion_model", StoredFusionText(options.as_of, model)));
  return train;
}

}  // namespace vigil
