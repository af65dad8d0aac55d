// The C ABI of include/vigil/vigil.h over vigil::Screener. Every entry point catches every
// exception (allocation failures included): nothing C++ may unwind into a C, Java or Go caller.
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "vigil/screener.h"
#include "vigil/vigil.h"

struct vigil_screener {
  std::unique_ptr<vigil::Screener> screener;
};

struct vigil_decision {
  vigil::Decision decision;
  std::vector<std::string> patterns;  // names, so pointers stay valid
  std::vector<std::string> checks;
};

namespace {

thread_local std::string last_error;

vigil_status Fail(vigil_status code, std::string message) {
  last_error = std::move(message);
  return code;
}

vigil_status FromStatus(const vigil::Status& s) {
  if (s.ok()) return VIGIL_OK;
  return Fail(static_cast<vigil_status>(static_cast<int>(s.code())), s.message());
}

vigil::Result<vigil::PaymentRequest> ToRequest(const vigil_payment* p) {
  if (p == nullptr) return vigil::Status::InvalidArgument("payment is NULL");
  vigil::PaymentRequest r;
  r.payment_id = p->payment_id != nullptr ? p->payment_id : "";
  r.person_id = p->person_id != nullptr ? p->person_id : "";
  r.region = p->region;
  VIGIL_ASSIGN_OR_RETURN(r.benefit,
                         vigil::ParseCode<vigil::Benefit>(p->benefit != nullptr ? p->benefit : ""));
  VIGIL_ASSIGN_OR_RETURN(r.period, vigil::ParseMonth(p->period != nullptr ? p->period : ""));
  r.amount = vigil::Money::FromFen(p->amount_fen);
  r.bank_account = p->bank_account != nullptr ? p->bank_account : "";
  if (p->channel != nullptr) {
    VIGIL_ASSIGN_OR_RETURN(r.channel, vigil::ParseCode<vigil::Channel>(p->channel));
  }
  return r;
}

vigil_decision* Wrap(vigil::Decision d) {
  auto* out = new vigil_decision{std::move(d), {}, {}};
  for (vigil::Pattern p : out->decision.patterns) out->patterns.emplace_back(vigil::CodeName(p));
  for (const auto& r : out->decision.reasons) {
    out->checks.emplace_back(vigil::ScreenCheckName(r.check));
  }
  return out;
}

template <typename F>
vigil_status Guard(F&& f) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return Fail(VIGIL_INTERNAL, "out of memory");
  } catch (const std::exception& e) {
    return Fail(VIGIL_INTERNAL, e.what());
  } catch (...) {
    return Fail(VIGIL_INTERNAL, "unknown exception");
  }
}

}  // namespace

extern "C" {

const char* vigil_version(void) { return VIGIL_VERSION_STRING; }

const char* vigil_last_error(void) { return last_error.c_str(); }

vigil_status vigil_screener_open(const vigil_open_options* options, vigil_screener** out) {
  return Guard([&]() -> vigil_status {
    if (out == nullptr) return Fail(VIGIL_INVALID_ARGUMENT, "out is NULL");
    *out = nullptr;
    if (options == nullptr || options->struct_size < sizeof(vigil_open_options)) {
      return Fail(VIGIL_INVALID_ARGUMENT,
                  "options is NULL or its struct_size is not sizeof(vigil_open_options)");
    }
    if (options->db_path == nullptr) return Fail(VIGIL_INVALID_ARGUMENT, "db_path is NULL");
    vigil::Policy policy = vigil::Policy::Defaults();
    if (options->policy_path != nullptr) {
      auto loaded = vigil::Policy::LoadFile(options->policy_path);
      if (!loaded.ok()) return FromStatus(loaded.status());
      policy = std::move(*loaded);
    }
    vigil::ScreenerStoreOptions where;
    where.db_path = options->db_path;
    if (options->secondary_path != nullptr) where.secondary_path = options->secondary_path;
    if (options->audit_path != nullptr) where.audit_path = options->audit_path;
    vigil::ScreenerOptions so;
    so.threads = options->threads;
    if (options->window_months != 0) so.window_months = options->window_months;
    so.audit_mode =
        options->deferred_audit != 0 ? vigil::AuditMode::kDeferred : vigil::AuditMode::kDurable;
    auto screener = vigil::Screener::Open(where, policy, so);
    if (!screener.ok()) return FromStatus(screener.status());
    *out = new vigil_screener{std::move(*screener)};
    return VIGIL_OK;
  });
}

void vigil_screener_close(vigil_screener* screener) {
  try {
    delete screener;
  } catch (...) {
    // A destructor that throws has nowhere to report to; the handle is gone either way.
  }
}

vigil_status vigil_screen(vigil_screener* screener, const vigil_payment* payment,
                          vigil_decision** out) {
  return Guard([&]() -> vigil_status {
    if (screener == nullptr || out == nullptr) {
      return Fail(VIGIL_INVALID_ARGUMENT, "screener or out is NULL");
    }
    *out = nullptr;
    auto request = ToRequest(payment);
    if (!request.ok()) return FromStatus(request.status());
    auto decision = screener->screener->Screen(*request);
    if (!decision.ok()) return FromStatus(decision.status());
    *out = Wrap(std::move(*decision));
    return VIGIL_OK;
  });
}

vigil_status vigil_screen_batch(vigil_screener* screener, const vigil_payment* payments,
                                size_t count, vigil_decision** out, vigil_status* statuses) {
  return Guard([&]() -> vigil_status {
    if (screener == nullptr || (count > 0 && (payments == nullptr || out == nullptr))) {
      return Fail(VIGIL_INVALID_ARGUMENT, "screener, payments or out is NULL");
    }
    std::vector<vigil::PaymentRequest> requests(count);
    std::vector<vigil::Status> bad(count);
    for (size_t i = 0; i < count; ++i) {
      out[i] = nullptr;
      auto r = ToRequest(&payments[i]);
      if (r.ok()) {
        requests[i] = std::move(*r);
      } else {
        bad[i] = r.status();
        requests[i].payment_id.clear();  // decided as malformed, not audited
      }
    }
    std::vector<vigil::Result<vigil::Decision>> decisions;
    vigil::Status s = screener->screener->ScreenBatch(requests, &decisions);
    if (!s.ok()) return FromStatus(s);
    for (size_t i = 0; i < count; ++i) {
      const vigil::Status& st = !bad[i].ok() ? bad[i] : decisions[i].status();
      if (statuses != nullptr) {
        statuses[i] = static_cast<vigil_status>(static_cast<int>(st.code()));
      }
      if (st.ok()) out[i] = Wrap(std::move(*decisions[i]));
    }
    return VIGIL_OK;
  });
}

vigil_status vigil_screener_flush(vigil_screener* screener) {
  return Guard([&]() -> vigil_status {
    if (screener == nullptr) return Fail(VIGIL_INVALID_ARGUMENT, "screener is NULL");
    return FromStatus(screener->screener->Flush());
  });
}

void vigil_decision_free(vigil_decision* decision) { delete decision; }

// A NULL decision (a batch's answer to a malformed payment) reads as "do not pay": a caller
// that forgets to check it must not be led to pay.
vigil_action vigil_decision_action(const vigil_decision* d) {
  if (d == nullptr) return VIGIL_BLOCK;
  return static_cast<vigil_action>(static_cast<int>(d->decision.action));
}
const char* vigil_decision_action_name(const vigil_decision* d) {
  return vigil::CodeName(d == nullptr ? vigil::Action::kBlock : d->decision.action).data();
}
double vigil_decision_risk(const vigil_decision* d) {
  return d == nullptr ? 1.0 : d->decision.risk;
}
int vigil_decision_repeated(const vigil_decision* d) {
  return d != nullptr && d->decision.repeated ? 1 : 0;
}
size_t vigil_decision_pattern_count(const vigil_decision* d) {
  return d == nullptr ? 0 : d->patterns.size();
}
const char* vigil_decision_pattern(const vigil_decision* d, size_t i) {
  return d != nullptr && i < d->patterns.size() ? d->patterns[i].c_str() : nullptr;
}
size_t vigil_decision_reason_count(const vigil_decision* d) {
  return d == nullptr ? 0 : d->decision.reasons.size();
}
const char* vigil_decision_reason(const vigil_decision* d, size_t i) {
  return d != nullptr && i < d->decision.reasons.size() ? d->decision.reasons[i].text.c_str()
                                                        : nullptr;
}
const char* vigil_decision_reason_check(const vigil_decision* d, size_t i) {
  return d != nullptr && i < d->checks.size() ? d->checks[i].c_str() : nullptr;
}
const char* vigil_decision_policy_version(const vigil_decision* d) {
  return d == nullptr ? nullptr : d->decision.policy_version.c_str();
}
const char* vigil_decision_score_run(const vigil_decision* d) {
  return d == nullptr ? nullptr : d->decision.score_run.c_str();
}

}  // extern "C"
