// The synthetic city: writes every feed of the data contract plus ground truth.
//
// No real pension data can leave a bureau, so demos, tests and benchmarks run on a generated
// city of the Jiaodong economic circle (regions 3702, 3706, 3707, 3710, 3711) with realistic
// people, careers, payments and life signals, and with every fraud pattern of the contract
// injected at configurable rates next to honest look-alikes. docs/synthetic-city.md explains the
// model and its sources.
//
// Determinism: the same options (seed, persons, as_of, rates) give byte-identical files whatever
// the number of threads: every person draws from its own random stream keyed by (seed, index),
// and blocks are written in order.
// Memory: output is streamed; memory is bounded by a few blocks of persons in flight.
// Thread-safety: GenerateCity may be called from several threads on different out_dirs; it uses
// the calling thread's TBB arena (limit it with tbb::global_control or `threads`).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>

#include "vigil/codes.h"
#include "vigil/status.h"
#include "vigil/time.h"

namespace vigil {

// Injection rates of the fraud patterns, as a share of generated persons. Each injected person
// carries one injected pattern (others can follow naturally, e.g. DECEASED_PAID after a late
// death report). Defaults give a few per mille each: enough positives for evaluation at 10^5
// persons while keeping the city overwhelmingly honest.
struct PatternRates {
  double deceased_paid = 0.003;    // registered death ignored: the fund keeps paying. Default 0.003
  double concealed_death = 0.003;  // death never registered; relatives use the cards. Default 0.003
  double prison_paid = 0.0005;     // paid during a prison term. Default 0.0005
  double duplicate_receipt = 0.002;  // paid by two regions for the same months. Default 0.002
  double shared_account =
      0.003;  // member of a ring of 3-6 pensions paid into one account. Default 0.003
  double account_hijack = 0.001;  // payee account changed by someone else. Default 0.001
  double fake_special_job =
      0.003;  // special-job retirement on hazardous spells that cannot be. Default 0.003
  double fake_disability =
      0.002;                     // disability retirement signed by a hotspot doctor. Default 0.002
  double age_falsified = 0.002;  // birth date changed shortly before retirement. Default 0.002
  double backpay_abuse =
      0.003;  // back-payment just before retirement to reach 15 years. Default 0.003
  double unemployed_while_employed =
      0.002;                       // unemployment benefit while contributing. Default 0.002
  double forged_identity = 0.001;  // a ledger identity that does not exist. Default 0.001
  double amount_anomaly = 0.002;   // paid amounts far from the approved benefit. Default 0.002
  double face_reuse = 0.002;       // one face certifying several pensioners. Default 0.002
  double anomaly = 0.001;          // unexplained outlier. Default 0.001

  // The rates indexed by Pattern (the contract's code order).
  std::array<double, CodeCount<Pattern>()> ByPattern() const {
    return {deceased_paid,
            concealed_death,
            prison_paid,
            duplicate_receipt,
            shared_account,
            account_hijack,
            fake_special_job,
            fake_disability,
            age_falsified,
            backpay_abuse,
            unemployed_while_employed,
            forged_identity,
            amount_anomaly,
            face_reuse,
            anomaly};
  }
};

// Shares of honest people who look like fraud, so detectors must tell them apart.
struct LookAlikeRates {
  double couple_pairs = 0.35;          // pairs of pensioners who are married. Default 0.35
  double couple_shared_account = 0.4;  // of couples: both pensions into one account. Default 0.4
  double couple_same_device = 0.5;     // of couples: face certification on one phone. Default 0.5
  double mover = 0.01;               // moved region: old row terminated, new row paid. Default 0.01
  double thin_signals = 0.04;        // living people with few or no life signals. Default 0.04
  double prison_suspended = 0.0005;  // imprisoned, pension correctly suspended. Default 0.0005
  double account_change = 0.01;      // changed own bank account in person. Default 0.01
  double small_backpay = 0.04;       // back-paid a few months of a gap. Default 0.04
  double id_correction = 0.005;      // birth date corrected long before retirement. Default 0.005
  double unemployment_claimant =
      0.03;  // working-age people drawing unemployment (not pensioners). Default 0.03
  double historic_death = 0.03;  // died before the window: TERMINATED rows kept. Default 0.03
};

// Progress report, delivered from the writer thread about twice a second.
struct GeneratorProgress {
  uint64_t persons_done = 0;
  uint64_t persons_total = 0;
  uint64_t rows_written = 0;
  double seconds = 0;
};

struct GeneratorOptions {
  std::string out_dir;  // created if absent; feeds at top level, ground truth in truth/. Required.
  uint64_t persons = 10000;  // individuals to generate (>= 1). Default 10000
  uint64_t seed = 1;         // Default 1
  // Last day of the simulated history; payments cover the `months` months up to its month.
  Date as_of = Date(std::chrono::year(2026), std::chrono::month(10), std::chrono::day(31));
  int months = 24;    // months of payments and signals (6..120). Default 24
  bool gzip = false;  // write .csv.gz (concatenated gzip members) instead of .csv. Default false
  int threads =
      0;  // worker threads; 0 = the TBB default (the machine or global_control). Default 0
  PatternRates rates;
  LookAlikeRates look_alikes;
  // Called from one thread with progress; may be empty. Must not throw.
  std::function<void(const GeneratorProgress&)> progress;
};

struct GeneratorStats {
  uint64_t persons = 0;    // individuals generated
  uint64_t rows[7] = {};   // persons, contributions, payments, signals, registry, appraisals, truth
  uint64_t bytes[7] = {};  // uncompressed bytes, same order
  uint64_t injected[CodeCount<Pattern>()] = {};  // truth rows listing each pattern
  double seconds = 0;
  uint64_t total_rows() const {
    uint64_t t = 0;
    for (int i = 0; i < 6; ++i) t += rows[i];
    return t;
  }
};

// Writes the city. Errors: kInvalidArgument for bad options, kIoError when a file cannot be
// written (the message names the file).
Result<GeneratorStats> GenerateCity(const GeneratorOptions& options);

}  // namespace vigil
