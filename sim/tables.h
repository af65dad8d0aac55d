// Reference tables of the synthetic city: the five cities of the Jiaodong economic circle,
// their districts, surnames and given names, industries (GB/T 4754-2017 divisions), banks,
// birth-cohort sizes and the employer pool. Sources and reasoning: docs/synthetic-city.md.
// Thread-safety: the tables are immutable after construction; share freely.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::sim {

struct District {
  uint32_t code;          // GB/T 2260 six-digit code in force today
  std::string_view name;  // UTF-8
  bool urban;             // urban district (true) or county / county-level city (false)
  double weight;          // share of the city's pensioners
};

struct Region {
  uint16_t code;             // four-digit city code, e.g. 3702
  std::string_view name;     // 青岛市
  double weight;             // share of the circle's pensioners
  int pay_day;               // day of month the fund pays pensions
  int64_t unemployment_fen;  // monthly unemployment benefit (90% of the minimum wage)
  double wage_factor;        // local wage level relative to the provincial average
  std::vector<District> districts;
  // Address codes found in older resident ids (districts merged or renamed since issue).
  std::vector<uint32_t> legacy_codes;
  std::string_view station;  // main railway station telegraph code
};

// An industry (GB/T 4754-2017 division) and the special job types it really has, as a bit mask
// over vigil::JobType values (the generator's own table in tables.cc).
struct Industry {
  std::string_view code;  // "B06"
  std::string_view name;
  double employee_weight;    // share among enterprise employees' careers
  double public_weight;      // share among public-institution careers
  uint8_t special_mask = 0;  // bit (1 << JobType) per hazardous job type the industry employs
};

struct NameEntry {
  std::string_view text;
  double weight;
};

struct Employer {
  std::string id;  // unified social credit code (GB 32100-2015), check character valid
  uint16_t industry;
  uint16_t region_index;
};

class Tables {
 public:
  // Builds the fixed tables and an employer pool derived from `seed`.
  explicit Tables(uint64_t seed);

  const std::vector<Region>& regions() const { return regions_; }
  const std::vector<Industry>& industries() const { return industries_; }
  const std::vector<NameEntry>& surnames() const { return surnames_; }
  const std::vector<double>& surname_cdf() const { return surname_cdf_; }
  const std::vector<std::string_view>& male_given(int era) const { return male_given_[era]; }
  const std::vector<std::string_view>& female_given(int era) const { return female_given_[era]; }
  const std::vector<std::string_view>& streets() const { return streets_; }
  const std::vector<std::string_view>& villages() const { return villages_; }
  const std::vector<std::string_view>& bank_bins(bool rural) const {
    return rural ? rural_bins_ : urban_bins_;
  }
  const std::vector<std::string_view>& far_stations() const { return far_stations_; }
  // Relative number of births in the circle by birth year (index 0 = 1920).
  static double CohortSize(int year);
  // Employers of one region in one industry (never empty for industries with weight > 0).
  const std::vector<uint32_t>& EmployersOf(size_t region_index, size_t industry) const {
    return by_region_industry_[region_index * industries_.size() + industry];
  }
  const Employer& employer(uint32_t index) const { return employers_[index]; }
  // Index of an industry code, or -1.
  int IndustryIndex(std::string_view code) const;

  // Index into a cumulative distribution with a uniform draw in [0, 1).
  static size_t Pick(const std::vector<double>& cdf, double u);

 private:
  std::vector<Region> regions_;
  std::vector<Industry> industries_;
  std::vector<NameEntry> surnames_;
  std::vector<double> surname_cdf_;
  std::vector<std::string_view> male_given_[3];
  std::vector<std::string_view> female_given_[3];
  std::vector<std::string_view> streets_;
  std::vector<std::string_view> villages_;
  std::vector<std::string_view> urban_bins_;
  std::vector<std::string_view> rural_bins_;
  std::vector<std::string_view> far_stations_;
  std::vector<Employer> employers_;
  std::vector<std::vector<uint32_t>> by_region_industry_;
};

// GB 32100-2015 check character for the first 17 characters of a unified social credit code.
char CreditCodeCheckChar(std::string_view first17);
// Luhn check digit for a bank card number body.
char LuhnCheckDigit(std::string_view body);

}  // namespace vigil::sim
