// Shared by the console's API tests and its queue benchmark: percent-encoding of query values and
// a store holding many synthetic cases, each with its persons row.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "vigil/money.h"
#include "vigil/records.h"
#include "vigil/status.h"
#include "vigil/store.h"

namespace vigil::console::test_support {

// Percent-encodes a query parameter value (UTF-8 bytes).
inline std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The resident id of synthetic case i (any i >= 0; unique per i).
inline std::string QueueCaseId(int i) {
  char id[32];
  std::snprintf(id, sizeof id, "3702%08d%06d", 19400101 + i % 20, i);
  return id;
}

// Writes `cases` persons rows and one stored case each. Case i: name surname[i % 8] +
// given[(i / 8) % 10] (given[0] is 秀英), district 370201 + i % 40, region 3701 + i % 10, pattern
// [DECEASED_PAID, CONCEALED_DEATH, SHARED_ACCOUNT, FAKE_SPECIAL_JOB, AMOUNT_ANOMALY][i % 5], action
// BLOCK when i % 3 == 0 else HOLD, certification SUSPEND when i % 4 == 0 else NEEDS_ACTIVE.
inline Status FillQueueStore(Store& store, int cases) {
  using nlohmann::json;
  const char* surnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄"};
  const char* given[] = {"秀英", "建国", "伟", "静", "敏", "强", "磊", "军", "洋", "艳"};
  const char* patterns[] = {"DECEASED_PAID", "CONCEALED_DEATH", "SHARED_ACCOUNT",
                            "FAKE_SPECIAL_JOB", "AMOUNT_ANOMALY"};
  RecordBatch batch;
  for (int i = 0; i < cases; ++i) {
    PersonRecord p;
    p.person_id = QueueCaseId(i);
    p.region = static_cast<uint16_t>(3701 + i % 10);
    p.name = std::string(surnames[i % 8]) + given[(i / 8) % 10];
    p.birth_date =
        Date(std::chrono::year(1940 + i % 20), std::chrono::month(1), std::chrono::day(1));
    p.district = 370201 + static_cast<uint32_t>(i % 40);
    p.monthly_benefit = Money::FromFen(200000 + (i * 37) % 500000);
    p.bank_account = "6222" + std::to_string(10000000 + i);
    batch.Add(p);
    if (batch.size() == 10000) {
      VIGIL_RETURN_IF_ERROR(store.Write(batch).status());
      batch.Clear();
    }
    // The cases family's key: person key then region, both big-endian.
    const uint64_t k = PersonKey(p.person_id);
    std::string key(10, '\0');
    for (int b = 0; b < 8; ++b) key[b] = static_cast<char>(k >> (56 - 8 * b));
    key[8] = static_cast<char>(p.region >> 8);
    key[9] = static_cast<char>(p.region & 0xff);
    const json c{{"v", 1},
                 {"run", "2026-10-31/default-1/latency"},
                 {"person_id", p.person_id},
                 {"region", p.region},
                 {"risk", (i % 1000) / 1000.0},
                 {"anomaly", 0.2},
                 {"action", i % 3 == 0 ? "BLOCK" : "HOLD"},
                 {"certification", i % 4 == 0 ? "SUSPEND" : "NEEDS_ACTIVE"},
                 {"patterns", {patterns[i % 5]}},
                 {"reasons", {"synthetic"}},
                 {"overpaid", std::to_string(i % 50000) + ".00"},
                 {"monthly_benefit", FormatMoney(p.monthly_benefit)},
                 {"hits", json::array()},
                 {"evidence", json::array()}};
    VIGIL_RETURN_IF_ERROR(store.PutCase(key, c.dump()));
  }
  if (!batch.empty()) VIGIL_RETURN_IF_ERROR(store.Write(batch).status());
  return Status::Ok();
}

}  // namespace vigil::console::test_support
