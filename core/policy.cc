#include "vigil/policy.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <variant>
#include <vector>

#include "content_id.h"

namespace vigil {
namespace {

using Json = nlohmann::json;

// One tunable value of the policy: its dotted JSON path, where it lives and its legal range.
// The table is the single definition that drives loading, range checks and ToJson.
struct Field {
  std::string path;
  std::variant<std::function<int&(Policy&)>, std::function<double&(Policy&)>> target;
  double min;
  double max;
};

template <typename T>
std::function<T&(Policy&)> Member(T RetirementPolicy::*field) {
  return [field](Policy& p) -> T& { return p.retirement.*field; };
}
template <typename T>
std::function<T&(Policy&)> Member(T CertificationPolicy::*field) {
  return [field](Policy& p) -> T& { return p.certification.*field; };
}
template <typename T>
std::function<T&(Policy&)> Member(T RulePolicy::*field) {
  return [field](Policy& p) -> T& { return p.rules.*field; };
}

const std::vector<Field>& Fields() {
  static const std::vector<Field> fields = [] {
    std::vector<Field> f;
    using R = RetirementPolicy;  // NOLINT(readability-identifier-naming)
    using C = CertificationPolicy;
    using U = RulePolicy;
    auto add_int = [&f](std::string path, std::function<int&(Policy&)> t, double lo, double hi) {
      f.push_back({std::move(path), std::move(t), lo, hi});
    };
    auto add_double = [&f](std::string path, std::function<double&(Policy&)> t, double lo,
                           double hi) {
      f.push_back({std::move(path), std::move(t), lo, hi});
    };
    add_int("retirement.normal_age.male", Member(&R::normal_age_male), 40, 80);
    add_int("retirement.normal_age.female_cadre", Member(&R::normal_age_female_cadre), 40, 80);
    add_int("retirement.normal_age.female_worker", Member(&R::normal_age_female_worker), 40, 80);
    add_int("retirement.special_job_age.male", Member(&R::special_job_age_male), 35, 80);
    add_int("retirement.special_job_age.female", Member(&R::special_job_age_female), 35, 80);
    for (JobType job : AllCodes<JobType>()) {
      if (job == JobType::kNormal) continue;
      const auto index = static_cast<size_t>(job);
      add_int(
          "retirement.special_job_min_years." + std::string(CodeName(job)),
          [index](Policy& p) -> int& { return p.retirement.special_job_min_years[index]; }, 1, 40);
    }
    add_int("retirement.disability_age.male", Member(&R::disability_age_male), 30, 80);
    add_int("retirement.disability_age.female", Member(&R::disability_age_female), 30, 80);
    add_int("retirement.disability_max_grade", Member(&R::disability_max_grade), 1, 10);
    add_int("retirement.min_contribution_years", Member(&R::min_contribution_years), 1, 45);
    add_int("retirement.resident_age", Member(&R::resident_age), 40, 80);

    add_int("certification.window_months", Member(&C::window_months), 1, 60);
    for (SignalSource source : AllCodes<SignalSource>()) {
      const auto index = static_cast<size_t>(source);
      add_double(
          "certification.source_weight." + std::string(CodeName(source)),
          [index](Policy& p) -> double& { return p.certification.source_weight[index]; }, 0, 10);
    }
    add_double("certification.half_life_days", Member(&C::half_life_days), 1, 3650);
    add_double("certification.certify_threshold", Member(&C::certify_threshold), 0.01, 100);
    add_double("certification.in_person_half_life_days", Member(&C::in_person_half_life_days), 1,
               3650);
    add_int("certification.recent_months", Member(&C::recent_months), 1, 24);
    add_int("certification.stale_feed_days", Member(&C::stale_feed_days), 1, 3650);
    add_int("certification.habit_min_signals", Member(&C::habit_min_signals), 1, 1000);
    add_double("certification.habit_max_place_overlap", Member(&C::habit_max_place_overlap), 0, 1);
    add_double("certification.habit_min_hour_shift", Member(&C::habit_min_hour_shift), 0, 12);
    add_double("certification.stop_alpha", Member(&C::stop_alpha), 1e-12, 0.5);
    add_int("certification.life_min_periods", Member(&C::life_min_periods), 1, 60);
    add_int("certification.cremation_card_months", Member(&C::cremation_card_months), 1, 60);
    add_int("certification.silence_min_days", Member(&C::silence_min_days), 7, 730);
    add_double("certification.silence_gap_factor", Member(&C::silence_gap_factor), 1, 100);
    add_int("certification.quiet_life_months", Member(&C::quiet_life_months), 1, 600);
    add_double("certification.quiet_rhythm_factor", Member(&C::quiet_rhythm_factor), 1, 1000);
    add_int("certification.quiet_rhythm_min_days", Member(&C::quiet_rhythm_min_days), 1, 10000);
    add_double("certification.takeover_fact_alpha", Member(&C::takeover_fact_alpha), 1e-12, 1);
    add_double("certification.takeover_alpha", Member(&C::takeover_alpha), 1e-12, 0.5);
    add_double("certification.undrawn_alpha", Member(&C::undrawn_alpha), 1e-12, 1);
    add_double("certification.drawn_less_stop_alpha", Member(&C::drawn_less_stop_alpha), 1e-12,
               0.5);

    add_int("rules.deceased_grace_months", Member(&U::deceased_grace_months), 0, 12);
    add_int("rules.duplicate_min_regions", Member(&U::duplicate_min_regions), 2, 10);
    add_int("rules.shared_account_max_persons", Member(&U::shared_account_max_persons), 1, 100);
    add_int("rules.shared_account_batch_days", Member(&U::shared_account_batch_days), 1, 366);
    add_double("rules.amount_anomaly_ratio", Member(&U::amount_anomaly_ratio), 1.01, 100);
    add_double("rules.amount_underpaid_routine_share", Member(&U::amount_underpaid_routine_share),
               0, 1);
    add_int("rules.backpay_window_months", Member(&U::backpay_window_months), 1, 240);
    add_double("rules.backpay_share_threshold", Member(&U::backpay_share_threshold), 0, 1);
    add_int("rules.appraisal_doctor_min_cases", Member(&U::appraisal_doctor_min_cases), 1, 100000);
    add_int("rules.age_change_window_months", Member(&U::age_change_window_months), 1, 240);
    add_int("rules.age_change_shortfall_months", Member(&U::age_change_shortfall_months), 1, 1200);
    add_int("rules.face_reuse_min_persons", Member(&U::face_reuse_min_persons), 2, 100);
    add_double("rules.hold_risk", Member(&U::hold_risk), 0, 1);
    add_double("rules.block_risk", Member(&U::block_risk), 0, 1);
    add_double("rules.anomaly_flag_score", Member(&U::anomaly_flag_score), 0, 1);
    add_double("rules.anomaly_contamination", Member(&U::anomaly_contamination), 0, 1);
    add_int("rules.anomaly_peer_years_band", Member(&U::anomaly_peer_years_band), 1, 60);
    add_int("rules.anomaly_min_peer_group", Member(&U::anomaly_min_peer_group), 1, 1000000);
    add_double("rules.appraisal_doctor_alpha", Member(&U::appraisal_doctor_alpha), 1e-12, 0.5);
    add_double("rules.appraisal_doctor_alpha_active", Member(&U::appraisal_doctor_alpha_active),
               1e-12, 0.5);
    add_double("rules.disability_active_trips_per_year",
               Member(&U::disability_active_trips_per_year), 0, 365);
    add_int("rules.face_reuse_household_size", Member(&U::face_reuse_household_size), 1, 10);
    add_double("rules.face_place_personal_share_min", Member(&U::face_place_personal_share_min), 0,
               1);
    add_int("rules.face_reuse_sitting_minutes", Member(&U::face_reuse_sitting_minutes), 1, 1440);
    add_double("rules.face_reuse_sitting_share_min", Member(&U::face_reuse_sitting_share_min), 0,
               1);
    add_int("rules.hijack_in_person_days", Member(&U::hijack_in_person_days), 0, 730);
    add_int("rules.hijack_change_lead_days", Member(&U::hijack_change_lead_days), 0, 60);
    add_double("rules.hijack_stop_alpha", Member(&U::hijack_stop_alpha), 1e-12, 0.5);
    add_double("rules.hijack_seen_switch_share_min", Member(&U::hijack_seen_switch_share_min), 0,
               1);
    add_int("rules.hijack_rotation_min_accounts", Member(&U::hijack_rotation_min_accounts), 2,
            1000);
    // 1 turns the chance test off: every id without a footprint sharing a name and birth date
    // is accused, as before the test existed.
    add_double("rules.forged_identity_chance_alpha", Member(&U::forged_identity_chance_alpha),
               1e-12, 1);
    add_int("rules.phone_household_max_ids", Member(&U::phone_household_max_ids), 1, 1000000);
    add_int("rules.address_household_max_ids", Member(&U::address_household_max_ids), 1, 1000000);
    add_double("rules.footprint_share_min", Member(&U::footprint_share_min), 0, 1);
    add_int("rules.disability_work_grace_months", Member(&U::disability_work_grace_months), 0, 60);
    add_int("rules.contribution_record_grace_months", Member(&U::contribution_record_grace_months),
            0, 60);
    add_int("rules.unemployment_overlap_grace_months",
            Member(&U::unemployment_overlap_grace_months), 0, 12);
    add_double("rules.pattern_min_strength", Member(&U::pattern_min_strength), 0, 1);
    return f;
  }();
  return fields;
}

// Flattens nested objects into dotted paths; arrays and nulls are errors.
Status Flatten(const Json& node, const std::string& prefix,
               std::vector<std::pair<std::string, const Json*>>& out) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string path = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object()) {
      VIGIL_RETURN_IF_ERROR(Flatten(*it, path, out));
    } else {
      out.emplace_back(path, &*it);
    }
  }
  return Status::Ok();
}

std::string FormatNumber(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

Result<Policy> Policy::FromJson(std::string_view json_text, std::string_view origin) {
  Json root;
  // A key given twice in one object: the JSON parser keeps the last silently, so a supervisor's
  // first setting would be dropped without a word. The keys seen per open object, innermost last.
  std::vector<std::vector<std::string>> open_objects;
  std::string duplicate;
  const Json::parser_callback_t note_keys = [&](int, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == Json::parse_event_t::object_end && !open_objects.empty()) {
      open_objects.pop_back();
    } else if (event == Json::parse_event_t::key && !open_objects.empty()) {
      std::vector<std::string>& keys = open_objects.back();
      const std::string key = parsed.get<std::string>();
      if (std::find(keys.begin(), keys.end(), key) != keys.end() && duplicate.empty()) {
        duplicate = key;
      }
      keys.push_back(key);
    }
    return true;
  };
  try {
    root = Json::parse(json_text, note_keys);
  } catch (const Json::exception& e) {
    // Not only parse_error: a number beyond double range throws out_of_range (found by
    // fuzzing), and no exception may leave the library.
    return Status::InvalidArgument(std::string(origin) + ": not valid JSON: " + e.what());
  }
  if (!root.is_object()) {
    return Status::InvalidArgument(std::string(origin) + ": top level must be a JSON object");
  }
  if (!duplicate.empty()) {
    return Status::InvalidArgument(std::string(origin) + ": " + duplicate +
                                   ": key given twice in one object");
  }
  Policy policy;
  bool versioned = false;
  std::vector<std::pair<std::string, const Json*>> leaves;
  VIGIL_RETURN_IF_ERROR(Flatten(root, "", leaves).WithContext(origin));
  for (const auto& [path, value] : leaves) {
    auto fail = [&, &p = path](const std::string& why) {
      std::string message(origin);
      message.append(": ").append(p).append(": ").append(why);
      return Status::InvalidArgument(message);
    };
    if (path == "version") {
      if (!value->is_string()) return fail("must be a string");
      policy.version = value->get<std::string>();
      versioned = true;
      continue;
    }
    const Field* field = nullptr;
    for (const Field& f : Fields()) {
      if (f.path == path) field = &f;
    }
    if (field == nullptr) return fail("unknown key");
    if (!value->is_number()) return fail("must be a number");
    const double v = value->get<double>();
    if (v < field->min || v > field->max) {
      return fail(FormatNumber(v) + " is out of range [" + FormatNumber(field->min) + ", " +
                  FormatNumber(field->max) + "]");
    }
    if (const auto* int_ref = std::get_if<std::function<int&(Policy&)>>(&field->target)) {
      if (!value->is_number_integer()) return fail("must be a whole number");
      (*int_ref)(policy) = value->get<int>();
    } else if (const auto* dbl_ref = std::get_if<std::function<double&(Policy&)>>(&field->target)) {
      (*dbl_ref)(policy) = v;
    }
  }
  if (policy.rules.hold_risk >= policy.rules.block_risk) {
    // Equal, a review (HOLD) would be a block: and an outlier, which never blocks on its own,
    // is kept below block_risk, so it would not even be held.
    return Status::InvalidArgument(std::string(origin) +
                                   ": rules.hold_risk must be below rules.block_risk");
  }
  if (!versioned) {
    // Every decision records the policy's version: thresholds changed without naming them get
    // a name of their own, so that no run passes for the default one.
    std::string unnamed = policy.ToJson();
    if (unnamed != Policy::Defaults().ToJson()) policy.version = "custom-" + ContentId(unnamed);
  }
  return policy;
}

Result<Policy> Policy::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(path + ": cannot open policy file");
  std::ostringstream text;
  text << in.rdbuf();
  return FromJson(text.str(), path);
}

std::string Policy::ToJson() const {
  Json root = Json::object();
  root["version"] = version;
  Policy copy = *this;
  for (const Field& f : Fields()) {
    Json* node = &root;
    size_t start = 0;
    for (size_t dot = f.path.find('.'); dot != std::string::npos;
         start = dot + 1, dot = f.path.find('.', start)) {
      node = &(*node)[f.path.substr(start, dot - start)];
    }
    Json& leaf = (*node)[f.path.substr(start)];
    if (const auto* int_ref = std::get_if<std::function<int&(Policy&)>>(&f.target)) {
      leaf = (*int_ref)(copy);
    } else if (const auto* dbl_ref = std::get_if<std::function<double&(Policy&)>>(&f.target)) {
      leaf = (*dbl_ref)(copy);
    }
  }
  return root.dump(2);
}

int Policy::NormalRetirementAge(Sex sex, Category category) const {
  if (sex == Sex::kMale) return retirement.normal_age_male;
  return category == Category::kCadre ? retirement.normal_age_female_cadre
                                      : retirement.normal_age_female_worker;
}

}  // namespace vigil
