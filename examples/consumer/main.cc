// Screening one payment through the C++ API of an installed vigil.
//   consumer_cpp DB PAYMENT_ID PERSON_ID REGION PERIOD AMOUNT_FEN ACCOUNT
#include <cstdio>
#include <cstdlib>

#include "vigil/screener.h"

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: %s DB PAYMENT_ID PERSON_ID REGION PERIOD AMOUNT_FEN ACCOUNT\n",
                 argv[0]);
    return 2;
  }
  vigil::ScreenerStoreOptions where;
  where.db_path = argv[1];
  auto screener = vigil::Screener::Open(where, vigil::Policy::Defaults());
  if (!screener.ok()) {
    std::fprintf(stderr, "open: %s\n", screener.status().ToString().c_str());
    return 1;
  }
  vigil::PaymentRequest request;
  request.payment_id = argv[2];
  request.person_id = argv[3];
  request.region = static_cast<uint16_t>(std::atoi(argv[4]));
  auto period = vigil::ParseMonth(argv[5]);
  if (!period.ok()) {
    std::fprintf(stderr, "%s\n", period.status().ToString().c_str());
    return 2;
  }
  request.period = *period;
  request.amount = vigil::Money::FromFen(std::atoll(argv[6]));
  request.bank_account = argv[7];
  auto decision = (*screener)->Screen(request);
  if (!decision.ok()) {
    std::fprintf(stderr, "screen: %s\n", decision.status().ToString().c_str());
    return 1;
  }
  std::printf("action=%s risk=%.4f patterns=%s\n",
              std::string(vigil::CodeName(decision->action)).c_str(), decision->risk,
              vigil::JoinPatternNames(decision->patterns).c_str());
  for (const auto& reason : decision->reasons) std::printf("reason=%s\n", reason.text.c_str());
  return 0;
}
