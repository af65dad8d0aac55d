// Fraud rules: one small rule per pattern code of the contract, each enforcing a named clause of
// the policy, and the builder of the population facts some rules compare a person against.
//
// ApplyRules() is a pure function of one person's history, the population facts, the person's
// certification and the policy. Each hit carries the pattern, a strength (0..1, hits below
// rules.pattern_min_strength are context, not an accusation), the clause, a reason with the
// numbers, the evidence, and the sum to recover where the pattern implies one. docs/rules.md
// lists every rule, its defaults and why they are defensible.
//
// Thread-safety: ApplyRules and RuleCatalog are pure: call them from any number of threads.
// CrossPersonFactsBuilder is thread-compatible: one builder per thread, merged at the end.
// ApplyRules and CrossPersonFactsBuilder::Add keep small scratch lists per thread (thread_local),
// so a person costs no allocation once a thread is warm; each list keeps its largest size (a
// person's payments or signals) for the thread's life.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/certification.h"
#include "vigil/codes.h"
#include "vigil/history.h"
#include "vigil/money.h"
#include "vigil/policy.h"
#include "vigil/time.h"

namespace vigil {

// One payment a hit says should not have been made, and how much of it: all of it, or the part
// above the approved benefit.
struct PaymentClaim {
  uint64_t payment = 0;  // a hash of the payment_id (compared within one run only)
  int64_t fen = 0;
  friend bool operator==(const PaymentClaim&, const PaymentClaim&) = default;
};

struct RuleHit {
  Pattern pattern = Pattern::kAnomaly;
  double strength = 0;  // 0..1
  std::string clause;   // the policy clause enforced, e.g. "policy: rules.deceased_grace_months"
  std::string reason;   // for people, with the numbers: "paid 4 months after death ..."
  std::vector<Evidence> evidence;
  Money overpaid;  // to recover (payments that should not have been made); 0 if none
  std::vector<PaymentClaim> claims;  // the payments behind `overpaid`; their parts sum to it
  uint16_t region = 0;               // region concerned, 0 when the hit is about the person
};

// What several hits claim together: each payment counted once, at the largest part any of them
// claims (a payment after a death that two regions also paid is not recovered twice).
Money OverpaidOverClaims(std::span<const RuleHit* const> hits);

// The rules in the order they run, with the clause each one enforces (for docs and audits).
struct RuleInfo {
  Pattern pattern;
  std::string_view clause;
  std::string_view summary;
};
std::span<const RuleInfo> RuleCatalog();

// Runs every rule on one person; hits are ordered by strength, strongest first. Rows not known
// by `as_of` are ignored.
std::vector<RuleHit> ApplyRules(const PersonHistory& history, const CrossPersonFacts& facts,
                                const CertificationResult& certification, const Policy& policy,
                                Date as_of);

// Industries (GB/T 4754 code: section letter + 2 digits) where a special job type exists, per
// the compatibility table of docs/rules.md, e.g. UNDERGROUND at B06 coal mining. NORMAL is
// compatible everywhere.
bool SpecialJobFitsIndustry(JobType job, std::string_view industry);

// Accumulates CrossPersonFacts from person histories.
// Use one builder per thread (e.g. in tbb::combinable), Add() each person once, Merge() the
// builders, then Finish(). Distinct counts are exact: a person added to two builders (which
// should not happen) is still counted once per key.
class CrossPersonFactsBuilder {
 public:
  CrossPersonFactsBuilder();
  ~CrossPersonFactsBuilder();
  CrossPersonFactsBuilder(CrossPersonFactsBuilder&&) noexcept;
  CrossPersonFactsBuilder& operator=(CrossPersonFactsBuilder&&) noexcept;

  // Adds what one person contributes to the population facts, as known by `as_of`.
  void Add(const PersonHistory& history, const Policy& policy, Date as_of);
  // Moves everything from `other` into this builder; `other` is left empty.
  void Merge(CrossPersonFactsBuilder&& other);
  // The facts; the builder is left empty.
  CrossPersonFacts Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil
