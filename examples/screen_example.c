/* Screening one payment through the C ABI (include/vigil/vigil.h), as a Java, Go or Python
 * platform would through its foreign-function interface.
 *
 *   screen_example DB PAYMENT_ID PERSON_ID REGION PERIOD AMOUNT_FEN ACCOUNT
 *
 * Prints the decision: action, risk, patterns and reasons; exit 0 when a decision was made,
 * 1 on an error (its message on stderr), 2 on bad usage. */
#include <stdio.h>
#include <stdlib.h>

#include "vigil/vigil.h"

int main(int argc, char** argv) {
  if (argc != 8) {
    fprintf(stderr,
            "usage: %s DB PAYMENT_ID PERSON_ID REGION PERIOD AMOUNT_FEN ACCOUNT\n", argv[0]);
    return 2;
  }
  vigil_open_options options = {0};
  options.struct_size = sizeof options;
  options.db_path = argv[1];

  vigil_screener* screener = NULL;
  if (vigil_screener_open(&options, &screener) != VIGIL_OK) {
    fprintf(stderr, "open: %s\n", vigil_last_error());
    return 1;
  }
  vigil_payment payment = {0};
  payment.payment_id = argv[2];
  payment.person_id = argv[3];
  payment.region = (uint16_t)atoi(argv[4]);
  payment.benefit = "PENSION";
  payment.period = argv[5];
  payment.amount_fen = atoll(argv[6]);
  payment.bank_account = argv[7];

  vigil_decision* decision = NULL;
  const vigil_status status = vigil_screen(screener, &payment, &decision);
  if (status != VIGIL_OK) {
    fprintf(stderr, "screen: error %d: %s\n", (int)status, vigil_last_error());
    vigil_screener_close(screener);
    return 1;
  }
  printf("vigil %s\n", vigil_version());
  printf("action=%s risk=%.4f repeated=%d\n", vigil_decision_action_name(decision),
         vigil_decision_risk(decision), vigil_decision_repeated(decision));
  for (size_t i = 0; i < vigil_decision_pattern_count(decision); ++i) {
    printf("pattern=%s\n", vigil_decision_pattern(decision, i));
  }
  for (size_t i = 0; i < vigil_decision_reason_count(decision); ++i) {
    printf("reason=%s: %s\n", vigil_decision_reason_check(decision, i),
           vigil_decision_reason(decision, i));
  }
  printf("policy=%s run=%s\n", vigil_decision_policy_version(decision),
         vigil_decision_score_run(decision));
  vigil_decision_free(decision);
  vigil_screener_close(screener);
  return 0;
}
