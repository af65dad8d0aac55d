// The C ABI's answers to what a C caller can get wrong (include/vigil/vigil.h).
#include <gtest/gtest.h>

#include <string>

#include "vigil/vigil.h"

namespace {

TEST(CAbiTest, ANullDecisionReadsAsDoNotPay) {
  // A batch answers a malformed payment with out[i] == NULL: a caller that reads it anyway
  // must not be told to pay.
  EXPECT_EQ(vigil_decision_action(nullptr), VIGIL_BLOCK);
  EXPECT_EQ(std::string(vigil_decision_action_name(nullptr)), "BLOCK");
  EXPECT_EQ(vigil_decision_risk(nullptr), 1.0);
  EXPECT_EQ(vigil_decision_repeated(nullptr), 0);
  EXPECT_EQ(vigil_decision_pattern_count(nullptr), 0u);
  EXPECT_EQ(vigil_decision_pattern(nullptr, 0), nullptr);
  EXPECT_EQ(vigil_decision_reason_count(nullptr), 0u);
  EXPECT_EQ(vigil_decision_reason(nullptr, 0), nullptr);
  EXPECT_EQ(vigil_decision_reason_check(nullptr, 0), nullptr);
  EXPECT_EQ(vigil_decision_policy_version(nullptr), nullptr);
  EXPECT_EQ(vigil_decision_score_run(nullptr), nullptr);
  vigil_decision_free(nullptr);
}

TEST(CAbiTest, NullArgumentsAreInvalidWithAMessage) {
  vigil_decision* out = nullptr;
  EXPECT_EQ(vigil_screen(nullptr, nullptr, &out), VIGIL_INVALID_ARGUMENT);
  EXPECT_EQ(out, nullptr);
  EXPECT_NE(std::string(vigil_last_error()), "");
  vigil_screener* screener = nullptr;
  EXPECT_EQ(vigil_screener_open(nullptr, &screener), VIGIL_INVALID_ARGUMENT);
  EXPECT_EQ(screener, nullptr);
  vigil_screener_close(nullptr);
}

}  // namespace
