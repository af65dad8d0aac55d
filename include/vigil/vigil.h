/* vigil C ABI: pre-disbursement screening for platforms that are not C++ (Java via JNI or FFM,
 * Go via cgo, Python via ctypes or cffi).
 *
 * Shape: opaque handles, plain C types, every call returns a vigil_status; on an error the
 * calling thread's message is available from vigil_last_error() until its next vigil call. No
 * C++ exception and no C++ type crosses this header. Strings in are UTF-8, NUL-terminated and
 * only read during the call; strings out belong to the handle they came from and stay valid
 * until that handle is freed.
 *
 * Thread-safety: a vigil_screener may be used from any number of threads at once. A
 * vigil_decision is immutable and may be read from any thread; free it once.
 * The semantics are those of the C++ API, include/vigil/screener.h; docs/screening.md explains
 * the decisions. */
/* C names for a C ABI, not the C++ naming of .clang-tidy. */
/* NOLINTBEGIN(readability-identifier-naming) */
#ifndef VIGIL_VIGIL_H_
#define VIGIL_VIGIL_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define VIGIL_API __attribute__((visibility("default")))
#else
#define VIGIL_API
#endif

/* Error codes; the same meaning as vigil::StatusCode (UNAVAILABLE and ABORTED may succeed on
 * retry, the others will not without a change of input or configuration). */
typedef enum vigil_status {
  VIGIL_OK = 0,
  VIGIL_INVALID_ARGUMENT = 1,
  VIGIL_NOT_FOUND = 2,
  VIGIL_ALREADY_EXISTS = 3,
  VIGIL_FAILED_PRECONDITION = 4,
  VIGIL_CORRUPTION = 5,
  VIGIL_IO_ERROR = 6,
  VIGIL_UNAVAILABLE = 7,
  VIGIL_ABORTED = 8,
  VIGIL_UNIMPLEMENTED = 9,
  VIGIL_INTERNAL = 10
} vigil_status;

typedef enum vigil_action { VIGIL_PAY = 0, VIGIL_HOLD = 1, VIGIL_BLOCK = 2 } vigil_action;

typedef struct vigil_screener vigil_screener;
typedef struct vigil_decision vigil_decision;

/* How to open a screener. Zero-initialise, set struct_size = sizeof(vigil_open_options), then
 * the fields you need (the size lets later versions add fields compatibly). */
typedef struct vigil_open_options {
  uint32_t struct_size;
  const char* db_path;        /* required: the store folder */
  const char* secondary_path; /* NULL: open read-write; else follow a running ingest */
  const char* audit_path;     /* required with secondary_path: folder of the audit journal */
  const char* policy_path;    /* NULL: the contract's default policy */
  int32_t threads;            /* 0: one per hardware thread */
  int32_t window_months;      /* 0: default 24 */
  int32_t deferred_audit;     /* 0: durable audit per request; 1: written every 50 ms */
} vigil_open_options;

/* One payment request. Texts as in the payments feed (feeds.md). */
typedef struct vigil_payment {
  const char* payment_id;
  const char* person_id;
  uint16_t region;
  const char* benefit;      /* "PENSION", "UNEMPLOYMENT", "WORK_INJURY" or "SURVIVOR" */
  const char* period;       /* "YYYY-MM" */
  int64_t amount_fen;       /* amount in fen (1 yuan = 100 fen) */
  const char* bank_account; /* required: NULL or "" is VIGIL_INVALID_ARGUMENT */
  const char* channel;      /* "BANK" or "ECNY"; NULL means "BANK" */
} vigil_payment;

/* Version of the library, e.g. "0.1.0". Never NULL. */
VIGIL_API const char* vigil_version(void);

/* The message of the calling thread's last failed call ("" when none). */
VIGIL_API const char* vigil_last_error(void);

VIGIL_API vigil_status vigil_screener_open(const vigil_open_options* options, vigil_screener** out);
/* Writes queued audit entries and frees the screener. NULL is allowed. */
VIGIL_API void vigil_screener_close(vigil_screener* screener);

/* Decides one payment. On VIGIL_OK *out is a new decision to free with vigil_decision_free. */
VIGIL_API vigil_status vigil_screen(vigil_screener* screener, const vigil_payment* payment,
                                    vigil_decision** out);

/* Decides `count` payments in parallel; out[i] answers payments[i]. A malformed payment gets
 * out[i] == NULL and statuses[i] (if statuses is not NULL) its error; the call itself fails
 * only when the audit write failed (then every out[i] is NULL). */
VIGIL_API vigil_status vigil_screen_batch(vigil_screener* screener, const vigil_payment* payments,
                                          size_t count, vigil_decision** out,
                                          vigil_status* statuses);

/* Writes every queued audit entry (deferred audit). */
VIGIL_API vigil_status vigil_screener_flush(vigil_screener* screener);

/* The accessors below accept NULL (a batch's answer to a malformed payment): it reads as a
 * decision not to pay, VIGIL_BLOCK ("BLOCK"), risk 1, no pattern, reason or run (NULL texts,
 * counts 0). */
VIGIL_API void vigil_decision_free(vigil_decision* decision);
VIGIL_API vigil_action vigil_decision_action(const vigil_decision* decision);
/* "PAY", "HOLD" or "BLOCK". */
VIGIL_API const char* vigil_decision_action_name(const vigil_decision* decision);
VIGIL_API double vigil_decision_risk(const vigil_decision* decision);
/* 1 when the payment id was decided before and this is that decision. */
VIGIL_API int vigil_decision_repeated(const vigil_decision* decision);
VIGIL_API size_t vigil_decision_pattern_count(const vigil_decision* decision);
/* Pattern code i, e.g. "DECEASED_PAID"; NULL when i is out of range. */
VIGIL_API const char* vigil_decision_pattern(const vigil_decision* decision, size_t i);
VIGIL_API size_t vigil_decision_reason_count(const vigil_decision* decision);
/* Reason i's text; NULL when i is out of range. */
VIGIL_API const char* vigil_decision_reason(const vigil_decision* decision, size_t i);
/* Reason i's check, e.g. "DEATH"; NULL when i is out of range. */
VIGIL_API const char* vigil_decision_reason_check(const vigil_decision* decision, size_t i);
/* The policy version and the score run the decision used. */
VIGIL_API const char* vigil_decision_policy_version(const vigil_decision* decision);
VIGIL_API const char* vigil_decision_score_run(const vigil_decision* decision);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* VIGIL_VIGIL_H_ */
/* NOLINTEND(readability-identifier-naming) */
