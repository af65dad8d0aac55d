// The person model of the synthetic city. docs/synthetic-city.md describes each choice and its
// source; comments here say why the code does what it does.
#include "city.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>

#include "rng.h"
#include "text_out.h"
#include "vigil/resident_id.h"

namespace vigil::sim {
namespace {

constexpr int kFirstBirthYear = 1921;
constexpr int32_t kNever = INT32_MAX;
// An injected death (DECEASED_PAID, CONCEALED_DEATH) happens at least this long before the as-of
// date, so that the pension of a month after it has been paid.
constexpr int32_t kInjectedDeathLatestDays = 60;
// Stream key of the draws that re-sequence an id already issued (City::ResolveIds).
constexpr uint64_t kIdStream = 0x1D5E0;
constexpr int kPatternCount = static_cast<int>(CodeCount<Pattern>());

int32_t DayOf(int y, int m, int d) {
  return DayNumber(Date(std::chrono::year(y), std::chrono::month(static_cast<unsigned>(m)),
                        std::chrono::day(static_cast<unsigned>(d))));
}
int YearOf(int32_t day) { return static_cast<int>(DateFromDayNumber(day).year()); }
int32_t MonthOfDay(int32_t day) { return MonthNumber(MonthOf(DateFromDayNumber(day))); }
int32_t FirstDayOfMonth(int32_t month_number) {
  const Month m = MonthFromNumber(month_number);
  return DayNumber(Date(m.year(), m.month(), std::chrono::day(1)));
}
int DaysInMonth(int32_t month_number) {
  return FirstDayOfMonth(month_number + 1) - FirstDayOfMonth(month_number);
}
// The same calendar day `years` later (29 Feb becomes 1 Mar).
int32_t AddYears(int32_t day, int years) {
  Date d = DateFromDayNumber(day);
  Date r = Date(d.year() + std::chrono::years(years), d.month(), d.day());
  if (!r.ok()) r = Date(r.year(), r.month() + std::chrono::months(1), std::chrono::day(1));
  return DayNumber(r);
}
// Pensions start in the month after the birthday that reaches the retirement age.
int32_t RetirementDayFor(int32_t birth_day, int age) {
  return FirstDayOfMonth(MonthOfDay(AddYears(birth_day, age)) + 1);
}

// Annual probability of dying at `age` (Gompertz fit to the shape of the national life table:
// about 0.8% for men and 0.5% for women at 60, doubling roughly every 7 years).
double AnnualDeathProb(int age, Sex sex) {
  const double base = sex == Sex::kMale ? 0.0085 : 0.0050;
  const double slope = sex == Sex::kMale ? 0.098 : 0.106;
  return std::min(0.6, base * std::exp(slope * (age - 60)));
}

// Monthly average wage in the province, yuan, by year (log-linear between anchor years).
double AverageWage(int year) {
  static constexpr int kYears[] = {1970, 1980, 1990, 2000, 2010, 2020, 2030};
  static constexpr double kWage[] = {45, 65, 180, 780, 3000, 7000, 9500};
  if (year <= kYears[0]) return kWage[0];
  for (int i = 1; i < 7; ++i) {
    if (year <= kYears[i]) {
      const double t = (year - kYears[i - 1]) / 10.0;
      return kWage[i - 1] * std::pow(kWage[i] / kWage[i - 1], t);
    }
  }
  return kWage[6];
}

// Makes the last entry of a cumulative distribution exactly 1 (rounding).
void CloseCdf(std::vector<double>& cdf) {
  for (auto it = cdf.rbegin(); it != cdf.rend(); ++it) {
    *it = 1.0;
    break;
  }
}

enum class Role : uint8_t { kPensioner, kClaimant, kPhantom };
constexpr std::string_view kRoleNames[] = {"PENSIONER", "CLAIMANT", "PHANTOM"};

struct Spell {
  uint32_t employer;
  JobType job;
  int32_t start_month;
  int32_t end_month;
  int64_t base_fen;
  ContributionKind kind;
  int32_t paid_day;
  int region;  // index of the region the spell is recorded in
};

struct Appraisal {
  int32_t day;
  uint32_t hospital;  // district code * 100 + n
  uint32_t doctor;    // region code * 10000 + n
  int grade;
};

struct RegistryRow {
  RegistryEvent event;
  int32_t day;
  int32_t reported;
  std::string detail;
};

struct Signal {
  int32_t day;
  int32_t sec;
  SignalSource source;
  uint8_t place_len;
  char place[26];
  std::string_view detail;
};

// One row of the pension registry for one region.
struct LedgerRow {
  int region;
  int district;
  int32_t retire_day;
  int32_t first_paid_month;  // first period paid by this region (within or before the window)
  int32_t last_paid_month;   // last period paid (inclusive); < first if none in window
  PersonStatus status;
  uint32_t patterns;  // bit per Pattern for this row's truth
};

struct Person {
  uint64_t index = 0;
  Role role = Role::kPensioner;
  int injected = -1;  // Pattern value or -1
  uint32_t patterns = 0;
  std::string id;
  int region = 0;
  int district = 0;
  bool urban = true;
  Sex sex = Sex::kMale;
  int32_t birth_day = 0;       // true birth date (inside the id)
  int32_t fund_birth_day = 0;  // as registered by the fund
  std::string name;
  std::string phone;
  std::string address;
  std::string account;
  Scheme scheme = Scheme::kEmployee;
  Category category = Category::kWorker;
  RetirementType rtype = RetirementType::kNormal;
  int32_t retire_day = 0;
  int64_t benefit = 0;  // approved monthly benefit at as-of, fen
  Channel channel = Channel::kBank;
  // Life and death.
  int32_t death_day = kNever;
  int32_t death_report_day = kNever;  // DEATH row reported (kNever: none in the feeds)
  bool in_hospital_death = false;
  bool cremated = false;
  // Prison.
  int32_t prison_in = kNever;
  int32_t prison_out = kNever;
  int32_t prison_report = kNever;
  // Accounts.
  int32_t account_change_month = kNever;
  std::string old_account;
  bool hijack = false;
  // Regions: a second ledger row (mover or duplicate).
  int second_region = -1;
  int second_district = 0;
  int32_t move_month = kNever;  // mover: first period paid by the new region
  bool duplicate = false;
  std::string second_account;
  int32_t duplicate_start_month = kNever;
  // Habits.
  bool thin = false;
  bool has_phone = true;
  bool chronic = false;
  bool transit = false;
  bool face_app = false;
  bool counter_banker = false;
  bool care_home = false;
  bool lively = false;
  bool absent = false;             // lives elsewhere: no in-person signals of their own
  int face_month = 0;              // month of the year of the annual certification
  uint64_t device = 0;             // phone used for face certification
  int32_t face_ring_day = kNever;  // FACE_REUSE: day the ring certifies
  int face_ring_slot = 0;
  // Couples.
  int spouse = -1;  // index within the block
  // Honest look-alikes and rarer honest events.
  bool look_small_backpay = false;
  bool look_id_correction = false;
  bool look_prison = false;
  bool look_account_change = false;
  bool look_mover = false;
  bool emigrated = false;
  bool missing = false;
  bool phantom_twin = false;
  int32_t missing_report = kNever;
  // Claimants.
  int32_t job_loss_month = kNever;
  int32_t benefit_end_month = kNever;
  int32_t new_job_month = kNever;
  // Amount anomaly.
  int32_t anomaly_from = kNever;
  int32_t anomaly_to = kNever;
  int anomaly_factor_pct = 100;
  // Rows owned by this person.
  std::vector<Spell> spells;
  std::vector<Appraisal> appraisals;
  std::vector<RegistryRow> registry;
  Rng rng{0};
};

}  // namespace

struct City::Impl {
  const City& c;
  const Tables& t;
  const GeneratorOptions& o;
  int32_t as_of_day;
  int32_t as_of_month;
  int32_t first_month;
  int32_t window_start_day;
  BlockOutput& out;

  // ---------------------------------------------------------------- identity and names
  static bool HasPattern(const Person& p, Pattern pat) {
    return (p.patterns >> static_cast<int>(pat)) & 1U;
  }
  static void AddPattern(Person& p, Pattern pat) { p.patterns |= 1U << static_cast<int>(pat); }

  uint32_t AddressCodeFor(Person& p) const {
    const Region& r = t.regions()[static_cast<size_t>(p.region)];
    Rng& rng = p.rng;
    // Ids are issued where the person was registered at the time: mostly today's district, some
    // legacy codes of districts merged since, some births in other cities of the province.
    if (!r.legacy_codes.empty() && rng.Chance(0.12)) {
      return r.legacy_codes[rng.Bounded(r.legacy_codes.size())];
    }
    if (rng.Chance(0.05)) {
      static constexpr uint32_t kElsewhere[] = {370102, 370302, 370402, 370502, 370802, 370902,
                                                371302, 371402, 371502, 371602, 230102, 210102};
      return kElsewhere[rng.Bounded(std::size(kElsewhere))];
    }
    return r.districts[static_cast<size_t>(p.district)].code;
  }

  static std::string MakeId(uint32_t address_code, int32_t birth_day, Sex sex, Rng& rng,
                            bool valid) {
    std::string id = std::to_string(address_code);
    const Date d = DateFromDayNumber(birth_day);
    char buf[16];
    Out(id).Padded(static_cast<uint64_t>(static_cast<int>(d.year())), 4);
    Out(id).Padded(unsigned(d.month()), 2).Padded(unsigned(d.day()), 2);
    (void)buf;
    uint64_t seq = rng.Bounded(500) * 2 + (sex == Sex::kMale ? 1 : 0);
    Out(id).Padded(seq, 3);
    char check = ResidentId::ComputeCheckChar(id);
    if (!valid) {
      static constexpr char kChars[] = "0123456789X";
      char wrong = check;
      while (wrong == check) wrong = kChars[rng.Bounded(11)];
      check = wrong;
    }
    id.push_back(check);
    return id;
  }

  void MakeName(Person& p) const {
    Rng& rng = p.rng;
    p.name = t.surnames()[Tables::Pick(t.surname_cdf(), rng.Uniform())].text;
    const int year = YearOf(p.birth_day);
    const int era = year < 1945 ? 0 : year < 1960 ? 1 : 2;
    const auto& given = p.sex == Sex::kMale ? t.male_given(era) : t.female_given(era);
    p.name += given[rng.Bounded(given.size())];
  }

  std::string MakeAccount(Rng& rng, bool rural) const {
    const auto& bins = t.bank_bins(rural);
    std::string acct(bins[rng.Bounded(bins.size())]);
    while (acct.size() < 18) acct.push_back(static_cast<char>('0' + rng.Bounded(10)));
    acct.push_back(LuhnCheckDigit(acct));
    return acct;
  }

  static std::string MakePhone(Rng& rng) {
    static constexpr std::string_view kPrefixes[] = {
        "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
        "152", "153", "155", "156", "158", "159", "177", "180", "186", "187", "189"};
    std::string phone(kPrefixes[rng.Bounded(std::size(kPrefixes))]);
    Out(phone).Padded(rng.Bounded(100000000), 8);
    return phone;
  }

  std::string MakeAddress(const Person& p, Rng& rng) const {
    const Region& r = t.regions()[static_cast<size_t>(p.region)];
    const District& d = r.districts[static_cast<size_t>(p.district)];
    std::string a = "山东省";
    a += r.name;
    a += d.name;
    if (p.urban) {
      a += t.streets()[rng.Bounded(t.streets().size())];
      Out(a).Int(rng.Int(1, 300)).Str("号").Int(rng.Int(1, 30)).Str("号楼");
      Out(a)
          .Int(rng.Int(1, 4))
          .Str("单元")
          .Int(rng.Int(1, 18))
          .Padded(rng.Bounded(4) + 1, 2)
          .Str("户");
    } else {
      a += t.villages()[rng.Bounded(t.villages().size())];
      Out(a).Str("村").Int(rng.Int(1, 400)).Str("号");
    }
    return a;
  }

  // ---------------------------------------------------------------- demographics
  int NormalAge(const Person& p) const {
    if (p.scheme == Scheme::kResident) return 60;
    if (p.sex == Sex::kMale) return 60;
    return p.category == Category::kCadre ? 55 : 50;
  }

  // Statutory retirement day for the person's type (normal ages rise gradually from 2025).
  int32_t StatutoryRetirement(const Person& p, int32_t birth_day) const {
    switch (p.rtype) {
      case RetirementType::kSpecialJob:
        return RetirementDayFor(birth_day, p.sex == Sex::kMale ? 55 : 45);
      case RetirementType::kDisability:
        return RetirementDayFor(birth_day, p.sex == Sex::kMale ? 50 : 45);
      default:
        break;
    }
    const int age = NormalAge(p);
    int32_t day = RetirementDayFor(birth_day, age);
    const int32_t reform_start = MonthNumber(Month(std::chrono::year(2025), std::chrono::month(1)));
    const int32_t month = MonthOfDay(day);
    if (month >= reform_start && p.scheme != Scheme::kResident) {
      // Gradual rise decided in 2024: one month per four (per two for women workers at 50).
      const int step = (p.sex == Sex::kFemale && age == 50) ? 2 : 4;
      const int delay = (month - reform_start) / step + 1;
      day = FirstDayOfMonth(month + delay);
    }
    return day;
  }

  // The latest retirement with which a person's injected pattern still shows by the as-of date
  // (the as-of date itself for everyone else). A death pattern needs a pension paid for a month
  // after the death, which is drawn at least kInjectedDeathLatestDays before the as-of date; a
  // pattern that is a payment (to a second region, a shared or hijacked account, an odd amount,
  // a forged identity) needs a first payment, made up to two months after the pension begins
  // (approval delay, ForEachPensionRow).
  int32_t LatestRetirement(const Person& p) const {
    const int32_t first_paid_by_as_of = FirstDayOfMonth(as_of_month - 3);
    if (p.role == Role::kPhantom) return first_paid_by_as_of;
    if (p.injected < 0) return as_of_day;
    switch (static_cast<Pattern>(p.injected)) {
      case Pattern::kDeceasedPaid:
      case Pattern::kConcealedDeath:
        return as_of_day - 2 * kInjectedDeathLatestDays;
      case Pattern::kDuplicateReceipt:
      case Pattern::kSharedAccount:
      case Pattern::kAccountHijack:
      case Pattern::kAmountAnomaly:
      case Pattern::kAnomaly:
        return first_paid_by_as_of;
      default:
        return as_of_day;
    }
  }

  // Draws region, sex, birth date, scheme and retirement; false if no eligible draw was found
  // (only possible with a partner constraint).
  bool DrawDemographics(Person& p, const Person* partner = nullptr) const {
    Rng& rng = p.rng;
    if (partner != nullptr) {
      p.region = partner->region;
      p.district = partner->district;
    } else {
      p.region = static_cast<int>(Tables::Pick(c.region_cdf_, rng.Uniform()));
      p.district = static_cast<int>(
          Tables::Pick(c.district_cdf_[static_cast<size_t>(p.region)], rng.Uniform()));
    }
    p.urban =
        t.regions()[static_cast<size_t>(p.region)].districts[static_cast<size_t>(p.district)].urban;
    const Pattern inj = static_cast<Pattern>(p.injected < 0 ? 0 : p.injected);
    const bool has = p.injected >= 0;
    for (int attempt = 0; attempt < 60; ++attempt) {
      if (partner != nullptr) {
        // Husbands are typically zero to five years older than their wives.
        p.sex = partner->sex == Sex::kMale ? Sex::kFemale : Sex::kMale;
        const int gap = static_cast<int>(rng.Int(0, 5)) * (p.sex == Sex::kFemale ? 1 : -1);
        p.birth_day =
            DayOf(YearOf(partner->birth_day) + gap, 1, 1) + static_cast<int32_t>(rng.Bounded(365));
      } else {
        // Women outnumber men among pensioners: earlier retirement and longer lives.
        p.sex = rng.Chance(0.46) ? Sex::kMale : Sex::kFemale;
        const auto& cdf = c.birth_cdf_[p.sex == Sex::kMale ? 0 : 1];
        const int year = kFirstBirthYear + static_cast<int>(Tables::Pick(cdf, rng.Uniform()));
        p.birth_day = DayOf(year, 1, 1) + static_cast<int32_t>(rng.Bounded(365));
      }
      // Scheme: rural districts are mostly resident-scheme farmers; cities mostly employees.
      const double u = rng.Uniform();
      if (p.urban) {
        p.scheme = u < 0.68 ? Scheme::kEmployee : u < 0.84 ? Scheme::kPublic : Scheme::kResident;
      } else {
        p.scheme = u < 0.24 ? Scheme::kEmployee : u < 0.29 ? Scheme::kPublic : Scheme::kResident;
      }
      p.category = Category::kWorker;
      if (p.scheme == Scheme::kPublic) {
        p.category = rng.Chance(0.75) ? Category::kCadre : Category::kWorker;
      } else if (p.scheme == Scheme::kEmployee) {
        p.category = rng.Chance(0.15) ? Category::kCadre : Category::kWorker;
      }
      p.rtype =
          p.scheme == Scheme::kResident ? RetirementType::kResidentAge : RetirementType::kNormal;
      if (p.scheme == Scheme::kEmployee) {
        const double v = rng.Uniform();
        // Hazardous-work early retirement was common in heavy industry, far more for men.
        const double special = p.sex == Sex::kMale ? 0.09 : 0.04;
        if (v < special) {
          p.rtype = RetirementType::kSpecialJob;
        } else if (v < special + 0.025) {
          p.rtype = RetirementType::kDisability;
        }
      } else if (p.scheme == Scheme::kPublic && rng.Chance(0.01)) {
        p.rtype = RetirementType::kDisability;
      }
      if (has) {
        switch (inj) {
          case Pattern::kFakeSpecialJob:
            p.scheme = Scheme::kEmployee;
            p.rtype = RetirementType::kSpecialJob;
            break;
          case Pattern::kFakeDisability:
            p.scheme = Scheme::kEmployee;
            p.rtype = RetirementType::kDisability;
            break;
          case Pattern::kAgeFalsified:
          case Pattern::kBackpayAbuse:
            p.scheme = Scheme::kEmployee;
            p.rtype = RetirementType::kNormal;
            break;
          default:
            break;
        }
      }
      p.fund_birth_day = p.birth_day;
      p.retire_day = StatutoryRetirement(p, p.birth_day);
      if (p.retire_day > LatestRetirement(p)) continue;
      if (has && (inj == Pattern::kFakeSpecialJob || inj == Pattern::kFakeDisability ||
                  inj == Pattern::kAgeFalsified || inj == Pattern::kBackpayAbuse)) {
        // These frauds are recent: a retirement within the last ten years.
        if (p.retire_day < as_of_day - 3650) continue;
      }
      if (p.rtype == RetirementType::kDisability) {
        // Disability retirement happens between the disability age and the normal age.
        const int32_t normal = RetirementDayFor(p.birth_day, NormalAge(p));
        const int32_t span = normal - p.retire_day;
        if (span > 60) {
          p.retire_day = FirstDayOfMonth(MonthOfDay(
              p.retire_day + static_cast<int32_t>(rng.Bounded(static_cast<uint64_t>(span)))));
        }
        if (p.retire_day > LatestRetirement(p)) continue;
      }
      return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- careers
  uint32_t PickEmployer(Rng& rng, int region, bool public_sector, int industry = -1) const {
    if (industry < 0) {
      industry =
          static_cast<int>(Tables::Pick(c.industry_cdf_[public_sector ? 1 : 0], rng.Uniform()));
    }
    const auto& pool = t.EmployersOf(static_cast<size_t>(region), static_cast<size_t>(industry));
    // Employers differ in size: a squared draw favours the first (bigger) ones.
    const double u = rng.Uniform();
    return pool[static_cast<size_t>(u * u * static_cast<double>(pool.size()))];
  }

  int IndustryWith(Rng& rng, JobType job) const {
    const uint8_t bit = static_cast<uint8_t>(1U << static_cast<int>(job));
    std::vector<int> options;
    for (size_t i = 0; i < t.industries().size(); ++i) {
      if ((t.industries()[i].special_mask & bit) != 0) options.push_back(static_cast<int>(i));
    }
    return options[rng.Bounded(options.size())];
  }
  int IndustryWithout(Rng& rng, JobType job) const {
    const uint8_t bit = static_cast<uint8_t>(1U << static_cast<int>(job));
    static constexpr std::string_view kOffice[] = {"F52", "J66", "H62", "L72", "K70", "F51", "O80"};
    for (int k = 0; k < 20; ++k) {
      const int i = t.IndustryIndex(kOffice[rng.Bounded(std::size(kOffice))]);
      if (i >= 0 && (t.industries()[static_cast<size_t>(i)].special_mask & bit) == 0) return i;
    }
    return t.IndustryIndex("F52");
  }

  int64_t BaseFen(Rng& rng, int year, int region, double personal) const {
    const double wage = AverageWage(year) * t.regions()[static_cast<size_t>(region)].wage_factor;
    const double base = std::clamp(wage * personal, wage * 0.6, wage * 3.0);
    return static_cast<int64_t>(base) * 100 + static_cast<int64_t>(rng.Bounded(100));
  }

  // Adds regular spells for months [from, to], split at employer changes and every 5-8 years
  // (the base is reset yearly in reality; a row per reset would triple the feed).
  void AddCareer(Person& p, int32_t from, int32_t to, int spells_hint, bool public_sector,
                 JobType special = JobType::kNormal, int32_t special_months = 0,
                 int special_industry = -1) {
    Rng& rng = p.rng;
    const double personal = rng.LogNormal(1.0, 0.3);
    int32_t m = from;
    int32_t special_left = special_months;
    int spell_index = 0;
    while (m <= to) {
      const bool last = spell_index >= spells_hint - 1;
      int32_t len =
          last ? to - m + 1
               : static_cast<int32_t>(rng.Int(24, std::max<int64_t>(25, (to - m + 1) * 2 / 3)));
      len = std::min(len, to - m + 1);
      JobType job = JobType::kNormal;
      int industry = -1;
      if (special_left > 0) {
        job = special;
        industry = special_industry >= 0 ? special_industry : IndustryWith(rng, special);
        len = std::min(len, special_left);
        if (len < special_left && last) len = special_left;
        len = std::min(len, to - m + 1);
        special_left -= len;
      }
      const uint32_t employer = PickEmployer(rng, p.region, public_sector, industry);
      // Cut long spells into 5-8 year rows with a rising base.
      int32_t s = m;
      const int32_t spell_end = m + len - 1;
      while (s <= spell_end) {
        const int32_t e = std::min(spell_end, s + static_cast<int32_t>(rng.Int(60, 96)) - 1);
        Spell sp;
        sp.employer = employer;
        sp.job = job;
        sp.start_month = s;
        sp.end_month = e;
        sp.base_fen = BaseFen(rng, s / 12, p.region, personal);
        sp.kind = ContributionKind::kRegular;
        sp.paid_day = FirstDayOfMonth(e + 1) + static_cast<int32_t>(rng.Int(4, 20));
        sp.region = p.region;
        p.spells.push_back(sp);
        s = e + 1;
      }
      m += len;
      ++spell_index;
    }
  }

  void DrawCareer(Person& p) {
    Rng& rng = p.rng;
    if (p.scheme == Scheme::kResident) return;  // resident scheme: flat-rate, no employer spells
    const bool is_public = p.scheme == Scheme::kPublic;
    const int birth_year = YearOf(p.birth_day);
    const int start_age =
        static_cast<int>(rng.Int(birth_year < 1950 ? 16 : 18, is_public ? 24 : 22));
    int32_t from = MonthOfDay(AddYears(p.birth_day, start_age));
    const int32_t to = MonthOfDay(p.retire_day) - 1;
    const Pattern inj = static_cast<Pattern>(std::max(0, p.injected));
    const int spells = is_public ? static_cast<int>(rng.Int(1, 2))
                                 : static_cast<int>(rng.Int(1, birth_year < 1960 ? 3 : 5));
    if (p.injected >= 0 && inj == Pattern::kBackpayAbuse) {
      // A short real career, then months bought back just before retirement so the total
      // reaches exactly the 15-year minimum (policy: retirement.min_contribution_years).
      const int32_t real = static_cast<int32_t>(rng.Int(84, 125));
      const int32_t real_from = to - real + 1;
      AddCareer(p, real_from, to, static_cast<int>(rng.Int(1, 3)), false);
      const int32_t need = 180 - real + static_cast<int32_t>(rng.Int(0, 2));
      Spell bp;
      bp.employer = p.spells.front().employer;
      bp.job = JobType::kNormal;
      bp.end_month = real_from - 1 - static_cast<int32_t>(rng.Int(0, 36));
      bp.start_month = bp.end_month - need + 1;
      bp.base_fen = BaseFen(rng, bp.start_month / 12, p.region, 0.6);
      bp.kind = ContributionKind::kBackPayment;
      bp.paid_day = p.retire_day - static_cast<int32_t>(rng.Int(30, 600));
      bp.region = p.region;
      p.spells.push_back(bp);
      return;
    }
    if (p.rtype == RetirementType::kSpecialJob) {
      const JobType jobs[] = {JobType::kUnderground, JobType::kHighAltitude,
                              JobType::kHighTemperature, JobType::kHeavyLabour, JobType::kToxic};
      const JobType job = jobs[rng.Bounded(5)];
      static constexpr int kMinYears[] = {0, 9, 10, 9, 10, 8};  // policy defaults
      const int min_years = kMinYears[static_cast<int>(job)];
      int industry = -1;
      int32_t months =
          static_cast<int32_t>(rng.Int(int64_t{min_years} * 12, (int64_t{min_years} + 12) * 12));
      if (p.injected >= 0 && inj == Pattern::kFakeSpecialJob) {
        if (rng.Chance(0.6)) {
          // The hard variant: enough years, but at an employer whose industry has no such jobs.
          industry = IndustryWithout(rng, job);
        } else {
          months = static_cast<int32_t>(rng.Int(36, min_years * 12 - 18));
        }
      }
      months = std::min(months, to - from + 1);
      AddCareer(p, from, to, spells + 1, false, job, months, industry);
      return;
    }
    AddCareer(p, from, to, spells, is_public);
    if (p.look_small_backpay) {
      Spell bp = p.spells.back();
      bp.kind = ContributionKind::kBackPayment;
      bp.end_month = p.spells.back().start_month - 1;
      bp.start_month = bp.end_month - static_cast<int32_t>(rng.Int(1, 6)) + 1;
      bp.paid_day = FirstDayOfMonth(bp.end_month + static_cast<int32_t>(rng.Int(2, 14)));
      if (bp.paid_day < p.retire_day - 900 && bp.start_month > from) p.spells.push_back(bp);
    }
  }

  // ---------------------------------------------------------------- benefit
  void DrawBenefit(Person& p) const {
    Rng& rng = p.rng;
    const Region& r = t.regions()[static_cast<size_t>(p.region)];
    int32_t months = 0;
    for (const auto& s : p.spells) months += s.end_month - s.start_month + 1;
    const double years = months / 12.0;
    double yuan = 0;
    switch (p.scheme) {
      case Scheme::kEmployee:
        yuan = r.wage_factor * (1200 + 55 * years) * rng.LogNormal(1.0, 0.15);
        break;
      case Scheme::kPublic:
        yuan = r.wage_factor * (2600 + 85 * years) * rng.LogNormal(1.0, 0.12);
        break;
      case Scheme::kResident: {
        // Flat basic pension set by each city plus a small personal-account part, more for
        // the oldest (some cities add an age supplement from 70 or 80).
        const double basic = r.code == 3702 ? 340 : r.code == 3710 ? 260 : 210;
        const int age =
            WholeYearsBetween(DateFromDayNumber(p.birth_day), DateFromDayNumber(as_of_day));
        yuan = basic + rng.Uniform() * 160 + (age >= 80 ? 30 : age >= 70 ? 15 : 0);
        break;
      }
    }
    if (p.injected == static_cast<int>(Pattern::kAnomaly)) yuan *= 4 + 3 * rng.Uniform();
    p.benefit = static_cast<int64_t>(yuan * 100);
  }

  // Approved benefit for a period: yearly adjustments each July (retroactive to January, the
  // arrears paid in August) mean earlier months were paid a little less.
  int64_t BenefitFor(const Person& p, int32_t month) const {
    int64_t b = p.benefit;
    int adjustments = 0;
    for (int32_t jul = (as_of_month / 12) * 12 + 6; jul > month; jul -= 12) {
      if (jul <= as_of_month) ++adjustments;
    }
    for (int k = 0; k < adjustments; ++k) {
      b = p.scheme == Scheme::kResident ? b - 2000 : b * 100 / 102;
    }
    return b;
  }

  // ---------------------------------------------------------------- life events
  void DrawLife(Person& p) {
    Rng& rng = p.rng;
    const bool forced_death = p.injected == static_cast<int>(Pattern::kDeceasedPaid) ||
                              p.injected == static_cast<int>(Pattern::kConcealedDeath);
    const int32_t live_from = std::max(window_start_day, p.retire_day);
    if (forced_death) {
      const int32_t last = as_of_day - kInjectedDeathLatestDays;
      p.death_day = std::min(
          last, live_from + static_cast<int32_t>(
                                rng.Bounded(static_cast<uint64_t>(std::max(1, last - live_from)))));
    } else if (p.injected < 0 && p.retire_day < window_start_day - 90 &&
               rng.Chance(o.look_alikes.historic_death)) {
      // Died before the window: the registry keeps the terminated row, its death and cremation.
      const int32_t span = std::min<int32_t>(1500, window_start_day - 60 - p.retire_day);
      p.death_day =
          window_start_day - 30 - static_cast<int32_t>(rng.Bounded(static_cast<uint64_t>(span)));
    } else {
      for (const auto& m : c.window_) {
        if (m.first_day + m.days <= live_from) continue;
        const int age =
            WholeYearsBetween(DateFromDayNumber(p.birth_day), DateFromDayNumber(m.first_day));
        if (rng.Chance(AnnualDeathProb(age, p.sex) / 12)) {
          p.death_day = std::max(
              live_from,
              m.first_day + static_cast<int32_t>(rng.Bounded(static_cast<uint64_t>(m.days))));
          if (p.death_day > as_of_day) p.death_day = kNever;
          break;
        }
      }
    }
    if (p.death_day == kNever) return;
    const bool concealed = p.injected == static_cast<int>(Pattern::kConcealedDeath);
    // About half of urban deaths and a third of rural ones happen in hospital; families who
    // hide a death have usually kept the person at home.
    p.in_hospital_death = rng.Chance(concealed ? 0.05 : p.urban ? 0.5 : 0.3);
    p.cremated = rng.Chance(concealed ? 0.3 : 0.92);
    if (p.cremated) {
      const int32_t day = p.death_day + static_cast<int32_t>(rng.Int(1, 4));
      const int32_t rep = day + static_cast<int32_t>(rng.Int(0, 12));
      if (rep <= as_of_day) p.registry.push_back({RegistryEvent::kCremation, day, rep, {}});
    }
    if (concealed) return;  // labelled only if a pension is paid after it (LabelPayments)
    // Registration lag: most within weeks (hospital and funeral-home reports), a long tail of
    // rural deaths registered when the household registration is cancelled months later.
    double lag = rng.LogNormal(22, 1.0);
    if (p.in_hospital_death) lag *= 0.6;
    const int32_t rep = p.death_day + std::min<int32_t>(500, static_cast<int32_t>(lag));
    if (rep <= as_of_day) {
      p.death_report_day = rep;
      p.registry.push_back({RegistryEvent::kDeath, p.death_day, rep, {}});
    }
  }

  void DrawPrison(Person& p) {
    Rng& rng = p.rng;
    const int32_t from = std::max(window_start_day, p.retire_day);
    const int32_t span = as_of_day - 120 - from;
    if (span <= 0) return;
    p.prison_in = from + static_cast<int32_t>(rng.Bounded(static_cast<uint64_t>(span)));
    if (p.prison_in >= p.death_day) {  // nobody is imprisoned after death
      p.prison_in = kNever;
      return;
    }
    p.prison_report = p.prison_in + static_cast<int32_t>(rng.Int(10, 60));
    p.registry.push_back({RegistryEvent::kPrisonIn, p.prison_in, p.prison_report, {}});
    const int32_t release = p.prison_in + static_cast<int32_t>(rng.Int(180, 1800));
    if (release <= as_of_day - 10 && release < p.death_day) {  // a death in prison is no release
      p.prison_out = release;
      p.registry.push_back(
          {RegistryEvent::kPrisonOut, release, release + static_cast<int32_t>(rng.Int(3, 30)), {}});
    }
  }

  void DrawIdChange(Person& p, bool fraud) {
    Rng& rng = p.rng;
    int32_t change_day;
    if (fraud) {
      // The registered birth date moves one to five years earlier shortly before the statutory
      // date, so the pension starts years early (policy: rules.age_change_window_months).
      const int shift_years = static_cast<int>(rng.Int(1, 5));
      p.fund_birth_day =
          AddYears(p.birth_day, -shift_years) + static_cast<int32_t>(rng.Int(-60, 60));
      p.retire_day = StatutoryRetirement(p, p.fund_birth_day);
      change_day = p.retire_day - static_cast<int32_t>(rng.Int(60, 900));
      AddPattern(p, Pattern::kAgeFalsified);
    } else {
      // Honest corrections (a lunar-calendar date, a clerical error) long before retirement;
      // the fund then retires the person on the corrected date.
      p.fund_birth_day = p.birth_day + static_cast<int32_t>(rng.Int(-200, 200));
      if (p.rtype == RetirementType::kNormal || p.rtype == RetirementType::kResidentAge) {
        const int32_t corrected = StatutoryRetirement(p, p.fund_birth_day);
        if (corrected <= LatestRetirement(p)) {
          p.retire_day = corrected;
        } else {
          p.fund_birth_day = p.birth_day - static_cast<int32_t>(rng.Int(1, 200));
          p.retire_day = StatutoryRetirement(p, p.fund_birth_day);
        }
      }
      change_day = p.retire_day - static_cast<int32_t>(rng.Int(3650, 9000));
      if (change_day < DayOf(1990, 1, 1))
        change_day = DayOf(1990, 1, 1) + static_cast<int32_t>(rng.Bounded(3000));
    }
    std::string detail = "birth_date:";
    Out(detail).Date(p.birth_day).Str("->").Date(p.fund_birth_day);
    p.registry.push_back({RegistryEvent::kIdChange, change_day,
                          change_day + static_cast<int32_t>(rng.Int(1, 40)), std::move(detail)});
  }

  // Doctors of a region's appraisal committee: a pool scaled to the city, of which two (chosen
  // by the seed) sign fake appraisals.
  uint32_t DoctorPool(int region) const {
    return 20 + static_cast<uint32_t>(300 * t.regions()[static_cast<size_t>(region)].weight);
  }
  uint32_t HotspotDoctor(int region, int k) const {
    const uint32_t pool = DoctorPool(region);
    return static_cast<uint32_t>(
               MixKey(o.seed, 0xD0C, static_cast<uint64_t>(region) * 8 + static_cast<uint64_t>(k)) %
               pool) +
           1;
  }
  void DrawAppraisals(Person& p) {
    Rng& rng = p.rng;
    const Region& r = t.regions()[static_cast<size_t>(p.region)];
    const uint32_t hospital_base = r.districts[0].code * 100;
    auto add = [&](int32_t day, uint32_t doctor, int grade) {
      if (day > as_of_day) return;
      p.appraisals.push_back({day, hospital_base + static_cast<uint32_t>(rng.Int(1, 3)),
                              static_cast<uint32_t>(r.code) * 10000 + doctor, grade});
    };
    if (p.rtype == RetirementType::kDisability) {
      const int32_t day = p.retire_day - static_cast<int32_t>(rng.Int(30, 150));
      static constexpr double kGradeCdf[] = {0.1, 0.35, 0.7, 1.0};
      const double u = rng.Uniform();
      int grade = 1;
      while (grade < 4 && u > kGradeCdf[grade - 1]) ++grade;
      if (p.injected == static_cast<int>(Pattern::kFakeDisability)) {
        AddPattern(p, Pattern::kFakeDisability);
        add(day, HotspotDoctor(p.region, static_cast<int>(rng.Bounded(2))),
            static_cast<int>(rng.Int(2, 4)));
      } else {
        add(day, static_cast<uint32_t>(rng.Int(1, DoctorPool(p.region))), grade);
      }
    }
    if (p.scheme == Scheme::kEmployee && rng.Chance(0.12)) {
      // Work-injury and refused disability appraisals, mostly mild grades, during the career.
      const int32_t from = AddYears(p.birth_day, 30);
      const int32_t day = from + static_cast<int32_t>(rng.Bounded(
                                     static_cast<uint64_t>(std::max(1, p.retire_day - from - 30))));
      if (day < p.retire_day) {
        add(day, static_cast<uint32_t>(rng.Int(1, DoctorPool(p.region))),
            static_cast<int>(rng.Int(5, 10)));
      }
    }
  }

  // ---------------------------------------------------------------- persons
  int AgeAt(const Person& p, int32_t day) const {
    return WholeYearsBetween(DateFromDayNumber(p.birth_day), DateFromDayNumber(day));
  }

  void DrawHabits(Person& p) const {
    Rng& rng = p.rng;
    const int age = AgeAt(p, as_of_day);
    p.thin = rng.Chance(o.look_alikes.thin_signals);
    p.has_phone = !p.thin && rng.Chance(age >= 85 ? 0.6 : p.urban ? 0.95 : 0.85);
    p.chronic = rng.Chance(std::min(0.6, 0.22 + 0.012 * std::max(0, age - 60)));
    p.transit = p.urban && age < 88 && rng.Chance(age >= 70 ? 0.5 : 0.35);
    p.face_app = p.has_phone && rng.Chance(age >= 80 ? 0.35 : 0.6);
    p.counter_banker = !p.urban && rng.Chance(0.5);
    p.care_home = age >= 80 && rng.Chance(0.05);
    p.lively = age < 75 && rng.Chance(0.3);
    p.face_month = static_cast<int>(rng.Bounded(12));
    p.device = MixKey(o.seed, 0xDE11CE, p.index);
    p.channel = rng.Chance(0.03) ? Channel::kEcny : Channel::kBank;
    if (p.injected == static_cast<int>(Pattern::kFakeDisability)) {
      p.lively = true;  // healthy people travelling and riding buses: the tell of a fake
      p.transit = p.urban;
      p.thin = false;
      p.has_phone = true;
    }
  }

  void DrawPensioner(Person& p, const Person* partner) {
    Rng& rng = p.rng;
    if (!DrawDemographics(p, partner)) {
      partner = nullptr;
      while (!DrawDemographics(p)) {
      }
    }
    p.spouse = partner != nullptr ? 1 : -1;  // resolved to an index by the caller
    p.id = MakeId(AddressCodeFor(p), p.birth_day, p.sex, rng, true);
    MakeName(p);
    DrawHabits(p);
    p.phone = p.has_phone ? MakePhone(rng) : std::string();
    p.address = rng.Chance(0.04) ? std::string() : MakeAddress(p, rng);
    p.account = MakeAccount(rng, !p.urban);
    const auto& la = o.look_alikes;
    const Pattern inj = static_cast<Pattern>(std::max(0, p.injected));
    const bool injected = p.injected >= 0;
    if (injected && inj == Pattern::kAgeFalsified) {
      DrawIdChange(p, true);
      if (p.retire_day > as_of_day) {
        // The falsified date must give a pension already in payment; retry as honest.
        p.patterns = 0;
        p.registry.clear();
        p.fund_birth_day = p.birth_day;
        p.retire_day = StatutoryRetirement(p, p.birth_day);
      }
    } else if (rng.Chance(la.id_correction)) {
      p.look_id_correction = true;
      DrawIdChange(p, false);
    }
    p.look_small_backpay = rng.Chance(la.small_backpay);
    DrawCareer(p);
    if (injected && inj == Pattern::kFakeSpecialJob) AddPattern(p, Pattern::kFakeSpecialJob);
    if (injected && inj == Pattern::kBackpayAbuse) AddPattern(p, Pattern::kBackpayAbuse);
    DrawBenefit(p);
    DrawAppraisals(p);
    DrawLife(p);
    const bool historic = p.death_day < window_start_day;
    // A prison term beside an injected death would stop the pension the death pattern is about.
    const bool death_injected =
        injected && (inj == Pattern::kDeceasedPaid || inj == Pattern::kConcealedDeath);
    if ((injected && inj == Pattern::kPrisonPaid) ||
        (!historic && rng.Chance(la.prison_suspended) && !death_injected)) {
      p.look_prison = !(injected && inj == Pattern::kPrisonPaid);
      DrawPrison(p);
    }
    const int32_t change_lo = c.window_.front().number + 3;
    const int32_t change_hi = as_of_month - 2;
    if (injected && inj == Pattern::kAccountHijack) {
      // The switch needs a month paid into the old account before it and a pension still paid
      // when it comes (a death can stop the payments first).
      const int32_t lo = std::max(change_lo, MonthOfDay(p.retire_day) + 1);
      const int32_t hi = std::min(change_hi, LastPaidMonth(p));
      if (lo <= hi) {
        p.hijack = true;
        p.account_change_month = static_cast<int32_t>(rng.Int(lo, hi));
        p.old_account = p.account;
        p.account = MakeAccount(rng, rng.Chance(0.3));
        if (rng.Chance(0.5)) p.channel = Channel::kEcny;
      }
    } else if (!historic && rng.Chance(la.account_change)) {
      p.look_account_change = true;
      p.account_change_month = static_cast<int32_t>(rng.Int(change_lo, change_hi));
      p.old_account = p.account;
      p.account = MakeAccount(rng, !p.urban);
    }
    const int n_regions = static_cast<int>(t.regions().size());
    if (injected && inj == Pattern::kDuplicateReceipt) {
      const int second =
          (p.region + 1 + static_cast<int>(rng.Bounded(static_cast<uint64_t>(n_regions - 1)))) %
          n_regions;
      const int district = static_cast<int>(
          Tables::Pick(c.district_cdf_[static_cast<size_t>(second)], rng.Uniform()));
      std::string account = MakeAccount(rng, false);
      const int32_t start =
          std::max(MonthOfDay(p.retire_day), as_of_month - static_cast<int32_t>(rng.Int(6, 60)));
      // The second city's payments duplicate only months the first city still pays: none if the
      // person died before it started.
      if (start <= LastPaidMonth(p)) {
        p.duplicate = true;
        p.second_region = second;
        p.second_district = district;
        p.second_account = std::move(account);
        p.duplicate_start_month = start;
      }
    } else if (rng.Chance(la.mover) && p.retire_day < window_start_day && p.death_day == kNever) {
      p.look_mover = true;
      p.second_region =
          (p.region + 1 + static_cast<int>(rng.Bounded(static_cast<uint64_t>(n_regions - 1)))) %
          n_regions;
      p.second_district = static_cast<int>(
          Tables::Pick(c.district_cdf_[static_cast<size_t>(p.second_region)], rng.Uniform()));
      p.move_month = static_cast<int32_t>(rng.Int(c.window_.front().number + 2, as_of_month - 1));
    }
    if (injected && inj == Pattern::kAmountAnomaly) {
      // The odd months start in one already paid (the as-of month's pay day may be ahead).
      p.anomaly_from = static_cast<int32_t>(
          rng.Int(c.window_.front().number +
                      std::max<int32_t>(0, MonthOfDay(p.retire_day) - c.window_.front().number),
                  LastPayDayMonth(p, p.region)));
      p.anomaly_from = std::max(p.anomaly_from, MonthOfDay(p.retire_day) + 1);
      p.anomaly_to = std::min(as_of_month, p.anomaly_from + static_cast<int32_t>(rng.Int(0, 8)));
      p.anomaly_factor_pct =
          rng.Chance(0.8) ? static_cast<int>(rng.Int(180, 400)) : static_cast<int>(rng.Int(15, 50));
    }
    if (!p.thin && rng.Chance(0.0005)) {
      // Lives abroad with children; certifies by app once a year. Nobody emigrates after death
      // (a death before the window is drawn first).
      const int32_t day = window_start_day - static_cast<int32_t>(rng.Int(30, 2000));
      const int32_t reported = day + static_cast<int32_t>(rng.Int(5, 90));
      if (day < p.death_day) {
        p.emigrated = true;
        p.registry.push_back({RegistryEvent::kEmigrated, day, reported, {}});
        p.face_app = true;
        p.has_phone = true;
      }
    }
    if (p.death_day == kNever && rng.Chance(0.0002)) {
      p.missing = true;
      const int32_t day = window_start_day + static_cast<int32_t>(rng.Bounded(static_cast<uint64_t>(
                                                 as_of_day - window_start_day - 60)));
      p.missing_report = day + static_cast<int32_t>(rng.Int(3, 45));
      p.registry.push_back({RegistryEvent::kMissing, day, p.missing_report, {}});
    }
  }

  void DrawClaimant(Person& p) {
    Rng& rng = p.rng;
    p.role = Role::kClaimant;
    p.region = static_cast<int>(Tables::Pick(c.region_cdf_, rng.Uniform()));
    p.district = static_cast<int>(
        Tables::Pick(c.district_cdf_[static_cast<size_t>(p.region)], rng.Uniform()));
    p.urban =
        t.regions()[static_cast<size_t>(p.region)].districts[static_cast<size_t>(p.district)].urban;
    p.sex = rng.Chance(0.55) ? Sex::kMale : Sex::kFemale;
    const int age = static_cast<int>(rng.Int(26, 57));
    p.birth_day = AddYears(as_of_day, -age) - static_cast<int32_t>(rng.Bounded(365));
    p.fund_birth_day = p.birth_day;
    p.scheme = Scheme::kEmployee;
    p.id = MakeId(AddressCodeFor(p), p.birth_day, p.sex, rng, true);
    MakeName(p);
    p.has_phone = true;
    p.transit = p.urban && rng.Chance(0.5);
    p.lively = true;
    p.account = MakeAccount(rng, !p.urban);
    const bool fraud = p.injected == static_cast<int>(Pattern::kUnemployedWhileEmployed);
    // A fraudster's new job must start inside the window for the overlap to be visible.
    p.job_loss_month = static_cast<int32_t>(
        rng.Int(c.window_.front().number - (fraud ? 4 : 10), as_of_month - (fraud ? 9 : 3)));
    const int32_t career_from =
        MonthOfDay(AddYears(p.birth_day, static_cast<int>(rng.Int(18, 24))));
    AddCareer(p, career_from, p.job_loss_month, static_cast<int>(rng.Int(1, 4)), false);
    // Benefit duration by years contributed (unemployment insurance regulations: 12/18/24).
    const int32_t months = p.job_loss_month - career_from + 1;
    const int32_t duration = months < 60 ? 12 : months < 120 ? 18 : 24;
    p.benefit_end_month = std::min(as_of_month, p.job_loss_month + duration);
    if (fraud) {
      p.new_job_month = p.job_loss_month + static_cast<int32_t>(rng.Int(2, 5));
      if (p.benefit_end_month - p.new_job_month < 2)
        p.benefit_end_month = std::min(as_of_month, p.new_job_month + 3);
    } else if (rng.Chance(0.6)) {
      p.new_job_month = p.job_loss_month + static_cast<int32_t>(rng.Int(2, duration));
      p.benefit_end_month = std::min(p.benefit_end_month, p.new_job_month - 1);
    }
    if (p.new_job_month <= as_of_month - 1) {
      AddCareer(p, p.new_job_month, as_of_month - 1, 1, false);
      if (fraud && p.benefit_end_month >= p.new_job_month + 1)
        AddPattern(p, Pattern::kUnemployedWhileEmployed);
    } else {
      p.new_job_month = kNever;
    }
    p.benefit = t.regions()[static_cast<size_t>(p.region)].unemployment_fen;
  }

  void DrawPhantom(Person& p) {
    // A ledger identity that does not exist. Either the id fails its check character (a
    // crude forgery, kept by the fund's ledgers per the contract), or (filled in later from a
    // neighbour) a valid-looking second identity with a real pensioner's name, birth date and
    // phone. Other agencies know nothing of it: no signals, registry rows or appraisals.
    Rng& rng = p.rng;
    const int saved = p.injected;
    p.injected = static_cast<int>(Pattern::kBackpayAbuse);  // any recent employee retirement
    p.role = Role::kPhantom;  // paid by the as-of date (LatestRetirement)
    while (!DrawDemographics(p)) {
    }
    p.injected = saved;
    p.phantom_twin = rng.Chance(0.5);
    p.id = MakeId(AddressCodeFor(p), p.birth_day, p.sex, rng, p.phantom_twin);
    MakeName(p);
    p.has_phone = rng.Chance(0.7);
    p.phone = p.has_phone ? MakePhone(rng) : std::string();
    p.address = rng.Chance(0.3) ? std::string() : MakeAddress(p, rng);
    p.account = MakeAccount(rng, rng.Chance(0.5));
    const int32_t to = MonthOfDay(p.retire_day) - 1;
    AddCareer(p, to - static_cast<int32_t>(rng.Int(180, 240)) + 1, to, 2, false);
    DrawBenefit(p);
    AddPattern(p, Pattern::kForgedIdentity);
  }

  void MakeTwin(Person& phantom, const Person& real) const {
    phantom.name = real.name;
    phantom.sex = real.sex;
    phantom.birth_day = real.birth_day;
    phantom.fund_birth_day = real.fund_birth_day;
    phantom.phone = real.phone;
    phantom.has_phone = real.has_phone;
    phantom.scheme = real.scheme == Scheme::kResident ? Scheme::kEmployee : real.scheme;
    uint32_t code = AddressCodeFor(phantom);
    std::string_view real_code(real.id.data(), 6);
    for (int k = 0; k < 10 && std::to_string(code) == real_code; ++k)
      code = AddressCodeFor(phantom);
    phantom.id = MakeId(code, real.birth_day, real.sex, phantom.rng, true);
    if (phantom.id == real.id) phantom.id[16] = phantom.id[16] == '1' ? '3' : '1';
    phantom.id.pop_back();
    phantom.id.push_back(ResidentId::ComputeCheckChar(phantom.id));
  }

  // ---------------------------------------------------------------- rows
  int32_t PayDay(const Person& p, int region, int32_t month) const {
    if (p.injected == static_cast<int>(Pattern::kAnomaly)) {
      return FirstDayOfMonth(month) +
             static_cast<int32_t>(MixKey(p.index, static_cast<uint64_t>(month)) % 27);
    }
    return FirstDayOfMonth(month) + t.regions()[static_cast<size_t>(region)].pay_day - 1;
  }

  // Whether a payment made on `paid_day` is in payments.csv: within the window, by the as-of
  // date.
  bool WrittenByAsOf(int32_t paid_day) const {
    return paid_day >= window_start_day && paid_day <= as_of_day;
  }

  void PaymentRow(const Person& p, int region, char kind, int32_t period, int64_t amount,
                  std::string_view account, Channel channel, int32_t paid_day, int row_no) {
    if (!WrittenByAsOf(paid_day)) return;
    std::string& s = out.text[static_cast<int>(OutFile::kPayments)];
    Out w(s);
    // payment_id: region, period, kind letter, person index and ledger row: unique by design.
    w.Int(t.regions()[static_cast<size_t>(region)].code).MonthText(period);
    s.erase(s.size() - 3, 1);  // "2025-07" -> "202507"
    w.Ch(kind).Padded(p.index, 10).Int(row_no).Comma();
    w.Str(p.id).Comma().Int(t.regions()[static_cast<size_t>(region)].code).Comma();
    const Benefit benefit = kind == 'U'   ? Benefit::kUnemployment
                            : kind == 'S' ? Benefit::kSurvivor
                                          : Benefit::kPension;
    w.Str(CodeName(benefit)).Comma().MonthText(period).Comma().Money(amount).Comma();
    w.Str(account).Comma().Str(CodeName(channel)).Comma().Date(paid_day).End();
    ++out.rows[static_cast<int>(OutFile::kPayments)];
  }

  // Last month a region pays a pension before learning of a death, imprisonment or absence.
  int32_t LastPaidMonth(const Person& p) const {
    int32_t last = as_of_month;
    const int region = p.region;
    auto stop_after = [&](int32_t report_day, int32_t floor_month) {
      const int32_t stop = report_day + 8;  // a week to process the notice
      int32_t m = floor_month;
      while (m < as_of_month && PayDay(p, region, m + 1) < stop) ++m;
      return m;
    };
    const bool ignore_death = p.injected == static_cast<int>(Pattern::kDeceasedPaid);
    if (p.death_day != kNever && p.death_report_day != kNever && !ignore_death) {
      last = std::min(last, stop_after(p.death_report_day, MonthOfDay(p.death_day)));
    }
    if (p.missing)
      last = std::min(last, stop_after(p.missing_report, MonthOfDay(p.missing_report)));
    return last;
  }

  // The last month whose pension a region has paid by the as-of date (the as-of month's pay day
  // may still be ahead).
  int32_t LastPayDayMonth(const Person& p, int region) const {
    return PayDay(p, region, as_of_month) <= as_of_day ? as_of_month : as_of_month - 1;
  }

  bool SuspendedForPrison(const Person& p, int32_t month) const {
    if (!p.look_prison || p.prison_in == kNever) return false;
    const int32_t from_day = p.prison_report + 8;
    const int32_t to_month = p.prison_out == kNever ? INT32_MAX : MonthOfDay(p.prison_out);
    return PayDay(p, p.region, month) >= from_day && month <= to_month;
  }

  // One pension row of payments.csv.
  struct PensionRow {
    int region;
    int row_no;  // ledger row: 0 the home city, 1 the second city (mover or duplicate)
    char kind;   // 'P' the month's pension, 'A' the July arrears
    int32_t period;
    int64_t amount;
    std::string_view account;
    Channel channel;
    int32_t paid_day;
  };

  // Calls `f` with every pension row of one ledger row that is written: paid within the window
  // and on or before the as-of date (PaymentRow drops the others).
  template <typename F>
  void ForEachPensionRow(const Person& p, int region, int32_t first, int32_t last, int row_no,
                         std::string_view account_override, const F& f) const {
    Rng rng(o.seed, 0x9A1, p.index * 4 + static_cast<uint64_t>(row_no));
    const int32_t entitled = MonthOfDay(p.retire_day);
    // New pensions take one or two months to approve; the arrears are paid with the first.
    const int32_t delay =
        entitled >= c.window_.front().number ? static_cast<int32_t>(rng.Int(0, 2)) : 0;
    auto written = [&](const PensionRow& row) {
      if (WrittenByAsOf(row.paid_day)) f(row);
    };
    for (int32_t m = std::max(first, c.window_.front().number); m <= last; ++m) {
      if (SuspendedForPrison(p, m)) continue;
      int32_t pay_month = m;
      if (m < entitled + delay && m >= entitled) pay_month = entitled + delay;
      int64_t amount = BenefitFor(p, m);
      if (m >= p.anomaly_from && m <= p.anomaly_to) amount = amount * p.anomaly_factor_pct / 100;
      std::string_view account = account_override;
      Channel channel = p.channel;
      if (account.empty()) {
        account = p.account;
        if (p.account_change_month != kNever && m < p.account_change_month) {
          account = p.old_account;
          if (p.hijack) channel = Channel::kBank;
        }
      }
      written({region, row_no, 'P', m, amount, account, channel, PayDay(p, region, pay_month)});
      // July: the year's increase is back-dated to January; arrears come with August's pay.
      if (MonthFromNumber(m).month() == std::chrono::July && entitled <= m - 6) {
        const int64_t arrears = (BenefitFor(p, m) - BenefitFor(p, m - 1)) * 6;
        if (arrears > 0) {
          written({region, row_no, 'A', m, arrears, account, channel, PayDay(p, region, m + 1)});
        }
      }
    }
  }

  // Every pension row written for a pensioner or a forged identity, in every city that pays it.
  template <typename F>
  void ForEachPensionRow(const Person& p, const F& f) const {
    const int32_t entitled = MonthOfDay(p.retire_day);
    const int32_t last = LastPaidMonth(p);
    if (p.look_mover) {
      ForEachPensionRow(p, p.region, entitled, std::min(last, p.move_month - 1), 0, {}, f);
      ForEachPensionRow(p, p.second_region, p.move_month, last, 1, {}, f);
    } else {
      ForEachPensionRow(p, p.region, entitled, last, 0, {}, f);
      if (p.duplicate) {
        ForEachPensionRow(p, p.second_region, p.duplicate_start_month, last, 1, p.second_account,
                          f);
      }
    }
  }

  // Labels the patterns whose behaviour is a pension payment from the rows ForEachPensionRow
  // writes, after every draw that shapes them, so the truth never names a payment the feeds do
  // not hold (a pension of the month after a death falling after the as-of date, a hijack or a
  // duplicate cut short by a death, months suspended for prison). True if any pension is paid.
  bool LabelPayments(Person& p) const {
    const int32_t death_month = p.death_day == kNever ? kNever : MonthOfDay(p.death_day);
    const int32_t prison_from = p.prison_in == kNever ? kNever : MonthOfDay(p.prison_in) + 1;
    const int32_t prison_to = p.prison_out == kNever ? as_of_month : MonthOfDay(p.prison_out);
    bool paid = false;
    bool after_death = false;
    bool in_prison = false;
    bool old_account = false;
    bool new_account = false;
    bool odd_amount = false;
    bool twice = false;
    std::vector<int32_t> home_periods;  // ascending, as written
    ForEachPensionRow(p, [&](const PensionRow& row) {
      paid = true;
      after_death |= death_month != kNever && row.period > death_month;
      in_prison |= row.period >= prison_from && row.period <= prison_to;
      if (p.hijack && row.period < p.account_change_month) old_account = true;
      if (p.hijack && row.period >= p.account_change_month) new_account = true;
      odd_amount |= row.kind == 'P' && row.period >= p.anomaly_from && row.period <= p.anomaly_to;
      if (row.row_no == 0) {
        home_periods.push_back(row.period);
      } else if (p.duplicate) {
        twice |= std::binary_search(home_periods.begin(), home_periods.end(), row.period);
      }
    });
    // A registered death still paid for later months is DECEASED_PAID whatever the cause (a
    // fund that ignored the registry, or a report that came after the next pay day): either way
    // the overpayment has to be recovered. Likewise a pension paid for a month after
    // imprisonment began, before the suspension took effect, is PRISON_PAID.
    if (p.death_report_day != kNever && after_death) AddPattern(p, Pattern::kDeceasedPaid);
    if (p.injected == static_cast<int>(Pattern::kConcealedDeath) && after_death) {
      AddPattern(p, Pattern::kConcealedDeath);
    }
    if (in_prison) AddPattern(p, Pattern::kPrisonPaid);
    if (old_account && new_account) AddPattern(p, Pattern::kAccountHijack);
    if (twice) AddPattern(p, Pattern::kDuplicateReceipt);
    if (odd_amount) AddPattern(p, Pattern::kAmountAnomaly);
    if (p.injected == static_cast<int>(Pattern::kAnomaly) && paid) {
      AddPattern(p, Pattern::kAnomaly);
    }
    return paid;
  }

  void EmitPayments(const Person& p) {
    Rng rng(o.seed, 0x9A2, p.index);
    if (p.role == Role::kClaimant) {
      for (int32_t m = std::max(p.job_loss_month + 1, c.window_.front().number);
           m <= p.benefit_end_month; ++m) {
        PaymentRow(p, p.region, 'U', m, p.benefit, p.account, Channel::kBank,
                   FirstDayOfMonth(m) + 14, 0);
      }
      return;
    }
    ForEachPensionRow(p, [&](const PensionRow& row) {
      PaymentRow(p, row.region, row.kind, row.period, row.amount, row.account, row.channel,
                 row.paid_day, row.row_no);
    });
    // Survivors' benefits: funeral grant and a lump sum, under the deceased's id.
    if (p.death_report_day != kNever && p.injected != static_cast<int>(Pattern::kDeceasedPaid)) {
      const int32_t paid = p.death_report_day + static_cast<int32_t>(rng.Int(20, 90));
      const std::string account = MakeAccount(rng, !p.urban);
      int64_t lump = p.scheme == Scheme::kResident ? 50000 + rng.Int(0, 20000)
                                                   : p.benefit * rng.Int(10, 20) + 500000;
      const int32_t death_month = MonthOfDay(p.death_day);
      PaymentRow(p, p.region, 'S', death_month, lump, account, Channel::kBank, paid, 0);
      if (p.scheme != Scheme::kResident && rng.Chance(0.1)) {
        // A dependent survivor pension, monthly, for a spouse without income of their own.
        for (int32_t m = MonthOfDay(paid) + 1; m <= as_of_month; ++m) {
          PaymentRow(p, p.region, 'S', m, p.benefit * 35 / 100, account, Channel::kBank,
                     PayDay(p, p.region, m), 0);
        }
      }
    }
  }

  // ---------------------------------------------------------------- life signals
  struct SignalSink {
    std::vector<Signal>& v;
    void Add(int32_t day, int32_t sec, SignalSource src, std::string_view prefix, uint64_t number,
             int width, std::string_view detail) {
      Signal s;
      s.day = day;
      s.sec = sec;
      s.source = src;
      s.detail = detail;
      size_t n = 0;
      for (char ch : prefix) s.place[n++] = ch;
      if (width > 0) {
        for (int i = width - 1; i >= 0; --i) {
          s.place[n + static_cast<size_t>(i)] = static_cast<char>('0' + number % 10);
          number /= 10;
        }
        n += static_cast<size_t>(width);
      }
      s.place_len = static_cast<uint8_t>(n);
      v.push_back(s);
    }
  };

  static int32_t Sec(Rng& rng, int from_hour, int to_hour) {
    return static_cast<int32_t>(rng.Int(int64_t{from_hour} * 3600, int64_t{to_hour} * 3600 - 1));
  }

  void EmitSignals(Person& p, std::vector<Signal>& buf) {
    buf.clear();
    if (p.role == Role::kPhantom) return;
    Rng rng(o.seed, 0x5161, p.index);
    SignalSink sink{buf};
    const Region& r = t.regions()[static_cast<size_t>(p.region)];
    const uint64_t dcode = r.districts[static_cast<size_t>(p.district)].code;
    const uint64_t habit = MixKey(o.seed, 0x4AB, p.index);  // favourite pharmacy, ATM, bus line
    const bool concealed = p.injected == static_cast<int>(Pattern::kConcealedDeath);
    const int32_t alive_to = p.death_day == kNever ? as_of_day : p.death_day - 1;
    const int32_t card_to = concealed ? as_of_day : alive_to;
    const int age = AgeAt(p, as_of_day);
    const bool claimant = p.role == Role::kClaimant;
    auto in_prison = [&](int32_t day) {
      return p.prison_in != kNever && day >= p.prison_in &&
             (p.prison_out == kNever || day <= p.prison_out);
    };
    const bool in_person_ok = !p.absent && !p.emigrated;
    const double hospital_rate = claimant ? 0.05 : 0.12 + 0.012 * std::max(0, age - 60);
    for (const auto& m : c.window_) {
      auto day_in = [&]() {
        return m.first_day + static_cast<int32_t>(rng.Bounded(static_cast<uint64_t>(m.days)));
      };
      const int32_t pay_day = m.first_day + r.pay_day - 1;
      if (p.thin) {
        // Honest people with thin data: a counter visit now and then, or nothing at all.
        if ((habit & 1) && rng.Chance(1.0 / 6)) {
          const int32_t d = pay_day + static_cast<int32_t>(rng.Int(0, 10));
          if (d <= alive_to && !in_prison(d)) {
            sink.Add(d, Sec(rng, 8, 16), SignalSource::kBankCounter, "BR", dcode * 100 + habit % 7,
                     8, "WITHDRAWAL");
          }
        }
        continue;
      }
      if (p.has_phone) {
        const int32_t d = day_in();
        // Relatives keep a dead person's phone line a month or two (or for good if hiding it).
        const int32_t limit =
            concealed ? as_of_day
                      : (p.death_day == kNever ? as_of_day
                                               : p.death_day + static_cast<int32_t>(habit % 50));
        if (d <= limit && !in_prison(d))
          sink.Add(d, Sec(rng, 7, 22), SignalSource::kTelecom, "", 0, 0, "ACTIVE");
      }
      // Bank: counter withdrawals in the countryside, card and app use elsewhere.
      if (p.counter_banker && in_person_ok) {
        if (rng.Chance(0.5)) {
          const int32_t d = pay_day + static_cast<int32_t>(rng.Int(0, 12));
          if (d <= alive_to && !in_prison(d)) {
            sink.Add(d, Sec(rng, 8, 16), SignalSource::kBankCounter, "BR", dcode * 100 + habit % 7,
                     8, "WITHDRAWAL");
          }
        }
      }
      {
        int n = rng.Poisson(p.counter_banker ? 0.3 : claimant ? 3.0 : 1.4);
        if (concealed && m.first_day > p.death_day) n = std::max(1, n);  // the card keeps working
        for (int k = 0; k < n; ++k) {
          const int32_t d =
              std::min(m.first_day + m.days - 1, pay_day + static_cast<int32_t>(rng.Int(0, 20)));
          const bool hijacked = p.hijack && m.number >= p.account_change_month;
          // Families often draw the last pension for the funeral within weeks of a death.
          const bool funeral = !concealed && p.death_day != kNever && d >= p.death_day &&
                               d <= p.death_day + 30 && (habit & 8);
          if ((d <= card_to || funeral) && !hijacked &&
              (!in_prison(d) || HasPattern(p, Pattern::kPrisonPaid))) {
            static constexpr std::string_view kWhat[] = {"WITHDRAWAL", "POS", "APP_TRANSFER"};
            sink.Add(d, Sec(rng, 6, 22), SignalSource::kBankActivity, "ATM",
                     dcode * 1000 + (habit >> 8) % 40, 9, kWhat[rng.Bounded(3)]);
          }
        }
      }
      // Medical insurance card at pharmacies and clinics: monthly for chronic patients.
      {
        const int n = rng.Poisson(p.chronic ? 1.3 : claimant ? 0.2 : 0.3);
        for (int k = 0; k < n; ++k) {
          const int32_t d = day_in();
          const bool relatives = concealed && d > alive_to && p.chronic && (habit & 2);
          if ((d <= alive_to && !in_prison(d) && !p.emigrated) || relatives) {
            if (rng.Chance(0.7)) {
              sink.Add(d, Sec(rng, 8, 20), SignalSource::kMedicalSettlement, "YD",
                       dcode * 10000 + (habit >> 16) % 60, 10, "PHARMACY");
            } else {
              sink.Add(d, Sec(rng, 8, 17), SignalSource::kMedicalSettlement, "MZ",
                       dcode * 1000 + (habit >> 24) % 30, 9, "OUTPATIENT");
            }
          }
        }
      }
      if (p.transit && in_person_ok) {
        const int n = rng.Poisson(claimant ? 6.0 : 3.5);
        for (int k = 0; k < n; ++k) {
          const int32_t d = day_in();
          if (d <= alive_to && !in_prison(d)) {
            sink.Add(d, Sec(rng, 6, 20), SignalSource::kTransit, "BUS",
                     static_cast<uint64_t>(r.code) * 1000 + (habit >> 32) % 120 + rng.Bounded(3), 7,
                     "RIDE");
          }
        }
      }
      if (in_person_ok && rng.Chance(p.lively ? 0.15 : p.urban ? 0.05 : 0.02)) {
        const int32_t d = day_in();
        if (d <= alive_to && !in_prison(d)) {
          const auto& far = t.far_stations();
          const std::string_view there = far[rng.Bounded(far.size())];
          sink.Add(d, Sec(rng, 6, 21), SignalSource::kTravel, r.station, 0, 0, "TRAIN");
          const int32_t back = d + static_cast<int32_t>(rng.Int(2, 20));
          if (back <= alive_to)
            sink.Add(back, Sec(rng, 6, 21), SignalSource::kTravel, there, 0, 0, "TRAIN");
        }
      }
      if (in_person_ok && rng.Chance(hospital_rate / 12)) {
        const int32_t d = day_in();
        const int32_t out_day = d + static_cast<int32_t>(rng.Int(3, 16));
        if (out_day < alive_to && !in_prison(out_day)) {
          const uint64_t h = dcode * 100 + rng.Bounded(3) + 1;
          sink.Add(d, Sec(rng, 0, 24), SignalSource::kHospitalAdmission, "H", h, 8, "INPATIENT");
          sink.Add(out_day, Sec(rng, 8, 17), SignalSource::kHospitalDischarge, "H", h, 8,
                   rng.Chance(0.88) ? "CURED" : "TRANSFERRED");
        }
      }
      if (p.care_home) {
        for (int k = 0; k < 2; ++k) {
          const int32_t d = day_in();
          if (d <= alive_to) {
            sink.Add(d, Sec(rng, 8, 18), SignalSource::kCareHome, "YL", dcode * 100 + habit % 9, 8,
                     "ATTENDANCE");
          }
        }
      }
      if (in_person_ok && rng.Chance(claimant ? 0.02 : 0.025)) {
        const int32_t d = day_in();
        if (d <= alive_to && !in_prison(d)) {
          sink.Add(d, Sec(rng, 9, 17), SignalSource::kGovService, "ZW", dcode * 100 + habit % 5, 8,
                   "COUNTER");
        }
      }
      const int month_of_year = m.number % 12;
      if (p.face_app && month_of_year == p.face_month && p.face_ring_day == kNever) {
        const int32_t d = day_in();
        if (d <= alive_to && !in_prison(d)) {
          int32_t sec = Sec(rng, 8, 21);
          if (rng.Chance(0.08)) {
            sink.Add(d, sec, SignalSource::kFaceCert, "DV", p.device % 1000000000000ULL, 12,
                     "FAIL");
            sec = std::min(86399, sec + static_cast<int32_t>(rng.Int(30, 900)));
          }
          sink.Add(d, sec, SignalSource::kFaceCert, "DV", p.device % 1000000000000ULL, 12, "PASS");
        }
      }
      if (!claimant && in_person_ok && month_of_year == p.face_month &&
          (age >= 80 || (!p.urban && !p.face_app)) && (habit & 4)) {
        // Community workers visit the oldest and those who cannot use the app, once a year.
        const int32_t d = day_in();
        if (d <= alive_to && !in_prison(d)) {
          sink.Add(d, Sec(rng, 9, 17), SignalSource::kFieldVisit, "SQ", dcode * 1000 + habit % 40,
                   9, "SEEN");
        }
      }
      if (p.face_ring_day != kNever && MonthOfDay(p.face_ring_day) % 12 == m.number % 12) {
        // One face, several pensioners: the same phone passes them minutes apart.
        const int32_t d = FirstDayOfMonth(m.number) +
                          (p.face_ring_day - FirstDayOfMonth(MonthOfDay(p.face_ring_day)));
        const int32_t sec =
            std::min(86399, 9 * 3600 + static_cast<int32_t>(p.device % 30000) +
                                p.face_ring_slot * static_cast<int32_t>(60 + habit % 200));
        if (d >= window_start_day && d <= as_of_day && d < m.first_day + m.days) {
          sink.Add(d, sec, SignalSource::kFaceCert, "DV", p.device % 1000000000000ULL, 12, "PASS");
        }
      }
    }
    if (p.look_account_change) {
      // An honest account change is made in person, days before the first payment to it.
      const int32_t d =
          PayDay(p, p.region, p.account_change_month) - static_cast<int32_t>(rng.Int(3, 20));
      if (d <= alive_to) {
        sink.Add(d, Sec(rng, 9, 16),
                 rng.Chance(0.6) ? SignalSource::kGovService : SignalSource::kBankCounter, "ZW",
                 dcode * 100 + habit % 5, 8, "COUNTER");
      }
    }
    if (p.hijack && rng.Chance(0.3)) {
      const int32_t d = as_of_day - static_cast<int32_t>(rng.Int(1, 50));
      sink.Add(d, Sec(rng, 9, 16), SignalSource::kGovService, "ZW", dcode * 100 + habit % 5, 8,
               "COUNTER");
    }
    if (p.role == Role::kClaimant && p.job_loss_month + 1 >= c.window_.front().number) {
      // Claiming unemployment benefit means registering in person.
      const int32_t d =
          FirstDayOfMonth(p.job_loss_month + 1) + static_cast<int32_t>(rng.Int(0, 20));
      if (d <= as_of_day) {
        sink.Add(d, Sec(rng, 9, 16), SignalSource::kGovService, "ZW", dcode * 100 + habit % 5, 8,
                 "COUNTER");
      }
    }
    if (p.death_day != kNever && p.death_day >= window_start_day && p.in_hospital_death) {
      const uint64_t h = dcode * 100 + rng.Bounded(3) + 1;
      const int32_t in_day =
          std::max(window_start_day, p.death_day - static_cast<int32_t>(rng.Int(0, 20)));
      sink.Add(in_day, Sec(rng, 0, 24), SignalSource::kHospitalAdmission, "H", h, 8, "INPATIENT");
      sink.Add(p.death_day, Sec(rng, 0, 24), SignalSource::kHospitalDischarge, "H", h, 8, "DIED");
    }
    std::sort(buf.begin(), buf.end(), [](const Signal& a, const Signal& b) {
      return a.day != b.day ? a.day < b.day : a.sec < b.sec;
    });
    // Keep the natural key unique: two events of one source in the same second move apart.
    for (size_t i = 1; i < buf.size(); ++i) {
      if (buf[i].day == buf[i - 1].day && buf[i].sec <= buf[i - 1].sec) {
        buf[i].sec = buf[i - 1].sec + 1;
        if (buf[i].sec >= 86400) buf[i].sec = 86399;
      }
    }
    std::string& s = out.text[static_cast<int>(OutFile::kSignals)];
    for (const auto& sig : buf) {
      if (sig.day < window_start_day || sig.day > as_of_day) continue;
      Out w(s);
      w.Str(p.id).Comma().Str(CodeName(sig.source)).Comma().Timestamp(sig.day, sig.sec).Comma();
      w.Str(std::string_view(sig.place, sig.place_len)).Comma().Str(sig.detail).End();
      ++out.rows[static_cast<int>(OutFile::kSignals)];
    }
  }

  // ---------------------------------------------------------------- other feeds
  void PersonRow(const Person& p, int region, int district, PersonStatus status,
                 std::string_view account) {
    const Region& r = t.regions()[static_cast<size_t>(region)];
    std::string& s = out.text[static_cast<int>(OutFile::kPersons)];
    Out w(s);
    w.Str(p.id).Comma().Int(r.code).Comma().Str(p.name).Comma().Date(p.fund_birth_day).Comma();
    w.Str(CodeName(p.sex)).Comma().Int(r.districts[static_cast<size_t>(district)].code).Comma();
    w.Str(CodeName(p.scheme)).Comma().Str(CodeName(p.category)).Comma().Date(p.retire_day).Comma();
    w.Str(CodeName(p.rtype)).Comma().Money(p.benefit).Comma().Str(account).Comma();
    w.Str(p.phone).Comma().Str(p.address).Comma().Str(CodeName(status)).End();
    ++out.rows[static_cast<int>(OutFile::kPersons)];
  }

  void TruthRow(const Person& p, int region) {
    std::string& s = out.text[static_cast<int>(OutFile::kTruth)];
    Out w(s);
    const bool alive = p.role != Role::kPhantom && p.death_day == kNever;
    w.Str(p.id).Comma().Int(t.regions()[static_cast<size_t>(region)].code).Comma();
    w.Ch(alive ? '1' : '0').Comma();
    if (p.death_day != kNever) w.Date(p.death_day);
    w.Comma();
    bool first = true;
    for (int k = 0; k < kPatternCount; ++k) {
      if ((p.patterns >> k) & 1U) {
        if (!first) w.Ch(';');
        w.Str(CodeName(static_cast<Pattern>(k)));
        first = false;
        ++out.patterns[static_cast<size_t>(k)];
      }
    }
    w.Comma().Str(kRoleNames[static_cast<int>(p.role)]).End();
    ++out.rows[static_cast<int>(OutFile::kTruth)];
  }

  PersonStatus StatusAt(const Person& p) const {
    if (p.death_report_day != kNever && p.injected != static_cast<int>(Pattern::kDeceasedPaid)) {
      return p.death_report_day + 40 <= as_of_day ? PersonStatus::kTerminated
                                                  : PersonStatus::kSuspended;
    }
    if (p.look_prison && p.prison_in != kNever && p.prison_out == kNever &&
        p.prison_report + 8 <= as_of_day) {
      return PersonStatus::kSuspended;
    }
    if (p.missing && p.missing_report + 8 <= as_of_day) return PersonStatus::kSuspended;
    return PersonStatus::kActive;
  }

  void EmitLedger(const Person& p) {
    if (p.role == Role::kClaimant) {
      TruthRow(p, p.region);
      return;
    }
    const PersonStatus status = StatusAt(p);
    if (p.look_mover) {
      PersonRow(p, p.region, p.district, PersonStatus::kTerminated, p.account);
      PersonRow(p, p.second_region, p.second_district, status, p.account);
      TruthRow(p, p.region);
      TruthRow(p, p.second_region);
    } else {
      PersonRow(p, p.region, p.district, status, p.account);
      TruthRow(p, p.region);
      if (p.duplicate) {
        PersonRow(p, p.second_region, p.second_district, status, p.second_account);
        TruthRow(p, p.second_region);
      }
    }
  }

  void EmitContributions(const Person& p) {
    std::string& s = out.text[static_cast<int>(OutFile::kContributions)];
    Rng rng(o.seed, 0xC0, p.index);
    for (const auto& sp : p.spells) {
      const Employer& e = t.employer(sp.employer);
      const int32_t paid = std::min(as_of_day, sp.paid_day);
      // Rows from before the national system went live were migrated in bulk around 2003.
      const int32_t recorded = paid < DayOf(2002, 1, 1)
                                   ? DayOf(2003, 3, 1) + static_cast<int32_t>(rng.Bounded(600))
                                   : paid + static_cast<int32_t>(rng.Int(0, 3));
      Out w(s);
      w.Str(p.id).Comma().Int(t.regions()[static_cast<size_t>(sp.region)].code).Comma();
      w.Str(e.id)
          .Comma()
          .Str(t.industries()[e.industry].code)
          .Comma()
          .Str(CodeName(sp.job))
          .Comma();
      w.MonthText(sp.start_month)
          .Comma()
          .MonthText(sp.end_month)
          .Comma()
          .Money(sp.base_fen)
          .Comma();
      w.Str(CodeName(sp.kind)).Comma().Date(paid).Comma();
      w.Timestamp(std::min(recorded, as_of_day), Sec(rng, 8, 18)).End();
      ++out.rows[static_cast<int>(OutFile::kContributions)];
    }
  }

  void EmitRegistryAndAppraisals(const Person& p) {
    if (p.role == Role::kPhantom) return;
    std::string& s = out.text[static_cast<int>(OutFile::kRegistry)];
    for (const auto& r : p.registry) {
      if (r.reported > as_of_day) continue;
      Out w(s);
      w.Str(p.id).Comma().Str(CodeName(r.event)).Comma().Date(r.day).Comma().Date(r.reported);
      w.Comma().Str(r.detail).End();
      ++out.rows[static_cast<int>(OutFile::kRegistry)];
    }
    std::string& a = out.text[static_cast<int>(OutFile::kAppraisals)];
    for (const auto& ap : p.appraisals) {
      Out w(a);
      w.Str(p.id).Comma().Date(ap.day).Comma().Ch('H').Int(ap.hospital).Comma();
      w.Ch('D').Int(ap.doctor).Comma().Int(ap.grade).Comma();
      const Conclusion conclusion = ap.grade <= 4   ? Conclusion::kCompleteLoss
                                    : ap.grade <= 9 ? Conclusion::kPartialLoss
                                                    : Conclusion::kNone;
      w.Str(CodeName(conclusion)).End();
      ++out.rows[static_cast<int>(OutFile::kAppraisals)];
    }
  }

  // ---------------------------------------------------------------- one block
  // Picks ring members (shared accounts, face reuse) among not-yet-injected persons and splits
  // them into rings of three or more. The expected count per block is rate * size, so the
  // city-wide prevalence matches the configured rate.
  std::vector<std::vector<int>> PickRings(std::vector<Person>& ps, Rng& brng, double rate,
                                          Pattern pat) const {
    std::vector<std::vector<int>> rings;
    const double expect = rate * static_cast<double>(ps.size());
    int k = static_cast<int>(expect);
    if (brng.Uniform() < expect - k) ++k;
    if (k > 0 && k < 3) k = brng.Uniform() < k / 3.0 ? 3 : 0;
    std::vector<int> members;
    for (int tries = 0; static_cast<int>(members.size()) < k && tries < k * 50; ++tries) {
      const int i = static_cast<int>(brng.Bounded(ps.size()));
      if (ps[static_cast<size_t>(i)].injected >= 0) continue;
      ps[static_cast<size_t>(i)].injected = static_cast<int>(pat);
      members.push_back(i);
    }
    std::sort(members.begin(), members.end());
    size_t pos = 0;
    while (members.size() - pos >= 3) {
      const size_t remaining = members.size() - pos;
      size_t g = static_cast<size_t>(brng.Int(3, 6));
      if (g > remaining || remaining - g < 3) g = remaining;
      rings.emplace_back(members.begin() + static_cast<long>(pos),
                         members.begin() + static_cast<long>(pos + g));
      pos += g;
    }
    for (; pos < members.size(); ++pos) ps[static_cast<size_t>(members[pos])].injected = -1;
    return rings;
  }

  void Draw(uint64_t block, std::vector<Person>& ps) {
    const uint64_t lo = block * kBlockSize;
    const uint64_t hi = std::min(o.persons, lo + kBlockSize);
    ps.assign(hi - lo, Person{});
    for (uint64_t i = lo; i < hi; ++i) {
      Person& p = ps[i - lo];
      p.index = i;
      p.rng = Rng(o.seed, 1, i);
      const double u = p.rng.Uniform();
      if (u < c.pattern_cdf_.back()) p.injected = static_cast<int>(Tables::Pick(c.pattern_cdf_, u));
    }
    Rng brng(o.seed, 0xB10C, block);
    const auto shared_rings = PickRings(ps, brng, o.rates.shared_account, Pattern::kSharedAccount);
    const auto face_rings = PickRings(ps, brng, o.rates.face_reuse, Pattern::kFaceReuse);
    for (size_t i = 0; i < ps.size(); ++i) {
      Person& p = ps[i];
      if (p.injected == static_cast<int>(Pattern::kUnemployedWhileEmployed) ||
          (p.injected < 0 && p.rng.Chance(o.look_alikes.unemployment_claimant))) {
        DrawClaimant(p);
        continue;
      }
      if (p.injected == static_cast<int>(Pattern::kForgedIdentity)) {
        DrawPhantom(p);
        continue;
      }
      const Person* partner = nullptr;
      if (i % 2 == 1 && p.injected < 0 && ps[i - 1].injected < 0 &&
          ps[i - 1].role == Role::kPensioner && p.rng.Chance(o.look_alikes.couple_pairs)) {
        partner = &ps[i - 1];
      }
      DrawPensioner(p, partner);
      if (p.spouse >= 0) {
        Person& q = ps[i - 1];
        p.spouse = static_cast<int>(i - 1);
        q.spouse = static_cast<int>(i);
        p.address = q.address;
        if (!p.look_account_change && !q.look_account_change &&
            p.rng.Chance(o.look_alikes.couple_shared_account)) {
          p.account = q.account;  // one household account for both pensions
        }
        if (p.face_app && q.face_app && p.rng.Chance(o.look_alikes.couple_same_device)) {
          p.device = q.device;  // the couple certify on one phone, minutes apart
          p.face_month = q.face_month;
        }
      }
    }
    for (const auto& ring : shared_rings) {
      // An agent collects several pensions into an account of their own.
      const std::string agent = MakeAccount(brng, brng.Chance(0.5));
      for (int m : ring) {
        Person& p = ps[static_cast<size_t>(m)];
        if (p.role != Role::kPensioner) continue;
        p.account = agent;
        p.look_account_change = false;
        p.account_change_month = kNever;
      }
    }
    for (size_t g = 0; g < face_rings.size(); ++g) {
      const uint64_t device = MixKey(o.seed, 0xFACE, block * 64 + g);
      // The ring certifies once a year from a day in the window's first year (its first months
      // when the window is shorter).
      const int32_t day =
          window_start_day + static_cast<int32_t>(brng.Bounded(static_cast<uint64_t>(
                                 std::min(365, as_of_day - window_start_day + 1))));
      int slot = 0;
      for (int m : face_rings[g]) {
        Person& p = ps[static_cast<size_t>(m)];
        if (p.role != Role::kPensioner) continue;
        p.device = device;
        p.face_ring_day = day;
        p.face_ring_slot = slot++;
        p.absent = true;  // living with children elsewhere; someone else certifies them
        p.thin = false;
        p.face_app = false;
        AddPattern(p, Pattern::kFaceReuse);
      }
    }
    for (size_t i = 0; i < ps.size(); ++i) {
      Person& p = ps[i];
      if (p.role != Role::kPhantom || !p.phantom_twin) continue;
      const size_t j = i > 0 ? i - 1 : i + 1;
      if (j < ps.size() && ps[j].role == Role::kPensioner) {
        MakeTwin(p, ps[j]);
      } else {
        p.phantom_twin = false;
        p.id.back() = p.id.back() == '0' ? '1' : '0';
        if (p.id.back() == ResidentId::ComputeCheckChar(std::string_view(p.id).substr(0, 17)))
          p.id.back() = '2';
      }
    }
    std::vector<bool> paid(ps.size(), false);
    for (size_t i = 0; i < ps.size(); ++i) {
      if (ps[i].role != Role::kClaimant) paid[i] = LabelPayments(ps[i]);
    }
    for (const auto& ring : shared_rings) {
      // A ring shows when pensions of two or more of its members reach the agent's account.
      const auto paid_members = std::count_if(ring.begin(), ring.end(),
                                              [&](int m) { return paid[static_cast<size_t>(m)]; });
      if (paid_members < 2) continue;
      for (int m : ring) {
        if (paid[static_cast<size_t>(m)])
          AddPattern(ps[static_cast<size_t>(m)], Pattern::kSharedAccount);
      }
    }
  }

  // Another id for `p`, whose id is already issued to someone else: the next free sequence
  // number of the same parity (sex) after a draw from the person's own id stream, with the
  // check character recomputed (and kept failing for a crude forgery).
  Status Resequence(Person& p, IdRegistry& registry) const {
    const char old_check = p.id[17];
    const bool valid =
        old_check == ResidentId::ComputeCheckChar(std::string_view(p.id).substr(0, 17));
    const uint64_t parity = static_cast<uint64_t>(p.id[16] - '0') % 2;
    Rng rng(o.seed, kIdStream, p.index);
    const uint64_t start = rng.Bounded(500);
    for (uint64_t k = 0; k < 500; ++k) {
      const uint64_t seq = ((start + k) % 500) * 2 + parity;
      p.id.resize(14);
      Out(p.id).Padded(seq, 3);
      if (!registry.Insert(p.id)) continue;
      char check = ResidentId::ComputeCheckChar(p.id);
      if (!valid) {
        static constexpr std::string_view kChars = "0123456789X";
        check = old_check != check ? old_check : kChars[(kChars.find(check) + 1) % kChars.size()];
      }
      p.id.push_back(check);
      return Status::Ok();
    }
    return Status::FailedPrecondition(
        "generator: more than 500 persons of one sex share an address code and birth date");
  }

  Status Resolve(std::vector<Person>& ps, IdRegistry& registry) const {
    for (auto& p : ps) {
      if (registry.Insert(std::string_view(p.id).substr(0, 17))) continue;
      VIGIL_RETURN_IF_ERROR(Resequence(p, registry));
    }
    return Status::Ok();
  }

  void Emit(std::vector<Person>& ps) {
    std::vector<Signal> signals;
    signals.reserve(512);
    for (auto& p : ps) {
      EmitLedger(p);
      EmitContributions(p);
      EmitPayments(p);
      EmitSignals(p, signals);
      EmitRegistryAndAppraisals(p);
    }
    out.persons = ps.size();
  }
};

void BlockOutput::Clear() {
  for (auto& s : text) s.clear();
  rows.fill(0);
  patterns.fill(0);
  persons = 0;
}

const char* OutFileName(int file) {
  static constexpr const char* kNames[kOutFiles] = {
      "persons.csv",  "contributions.csv", "payments.csv",     "signals.csv",
      "registry.csv", "appraisals.csv",    "truth/persons.csv"};
  return kNames[file];
}

const char* OutFileHeader(int file) {
  static constexpr const char* kHeaders[kOutFiles] = {
      "person_id,region,name,birth_date,sex,district,scheme,category,retirement_date,"
      "retirement_type,monthly_benefit,bank_account,phone,address,status\n",
      "person_id,region,employer_id,industry,job_type,start_month,end_month,monthly_base,kind,"
      "paid_date,recorded_at\n",
      "payment_id,person_id,region,benefit,period,amount,bank_account,channel,paid_date\n",
      "person_id,source,occurred_at,place,detail\n",
      "person_id,event,event_date,reported_date,detail\n",
      "person_id,appraisal_date,hospital_id,doctor_id,grade,conclusion\n",
      "person_id,region,alive,death_date,patterns,role\n"};
  return kHeaders[file];
}

City::City(const GeneratorOptions& options) : options_(options), tables_(options.seed) {
  as_of_day_ = DayNumber(options_.as_of);
  const int32_t last = MonthNumber(MonthOf(options_.as_of));
  for (int32_t m = last - options_.months + 1; m <= last; ++m) {
    window_.push_back({m, FirstDayOfMonth(m), DaysInMonth(m)});
  }
  // Ring patterns are placed per block (PickRings), not drawn per person.
  auto rates = options_.rates.ByPattern();
  rates[static_cast<size_t>(Pattern::kSharedAccount)] = 0.0;
  rates[static_cast<size_t>(Pattern::kFaceReuse)] = 0.0;
  double acc = 0;
  for (double x : rates) {
    acc += x;
    pattern_cdf_.push_back(acc);
  }
  double total = 0;
  for (const auto& reg : tables_.regions()) total += reg.weight;
  acc = 0;
  for (const auto& reg : tables_.regions()) {
    acc += reg.weight / total;
    region_cdf_.push_back(acc);
    double dt = 0;
    for (const auto& d : reg.districts) dt += d.weight;
    std::vector<double> cdf;
    double da = 0;
    for (const auto& d : reg.districts) {
      da += d.weight / dt;
      cdf.push_back(da);
    }
    CloseCdf(cdf);
    district_cdf_.push_back(std::move(cdf));
  }
  CloseCdf(region_cdf_);
  // Birth years: cohort size times survival from 30 to the age reached at as-of.
  const int as_of_year = static_cast<int>(options_.as_of.year());
  for (int sex = 0; sex < 2; ++sex) {
    std::vector<double> w;
    for (int y = kFirstBirthYear; y <= as_of_year - 44; ++y) {
      double survival = 1.0;
      for (int age = 30; age < as_of_year - y; ++age) {
        survival *= 1.0 - AnnualDeathProb(age, sex == 0 ? Sex::kMale : Sex::kFemale);
      }
      w.push_back(Tables::CohortSize(y) * survival);
    }
    double sum = 0;
    for (double x : w) sum += x;
    double a = 0;
    for (double x : w) {
      a += x / sum;
      birth_cdf_[sex].push_back(a);
    }
    CloseCdf(birth_cdf_[sex]);
  }
  for (int pub = 0; pub < 2; ++pub) {
    double sum = 0;
    for (const auto& ind : tables_.industries())
      sum += pub ? ind.public_weight : ind.employee_weight;
    double a = 0;
    for (const auto& ind : tables_.industries()) {
      a += (pub ? ind.public_weight : ind.employee_weight) / sum;
      industry_cdf_[pub].push_back(a);
    }
    CloseCdf(industry_cdf_[pub]);
  }
}

struct DrawnBlock {
  std::vector<Person> persons;
};

void DrawnBlockDeleter::operator()(DrawnBlock* drawn) const { delete drawn; }

City::Impl City::MakeImpl(BlockOutput& out) const {
  const int32_t as_of_month = MonthNumber(MonthOf(options_.as_of));
  return Impl{*this,
              tables_,
              options_,
              as_of_day_,
              as_of_month,
              window_.front().number,
              window_.front().first_day,
              out};
}

void City::DrawBlock(uint64_t block, BlockOutput& out) const {
  out.Clear();
  out.block = block;
  if (!out.drawn) out.drawn.reset(new DrawnBlock);
  Impl impl = MakeImpl(out);
  impl.Draw(block, out.drawn->persons);
}

Status City::ResolveIds(BlockOutput& out, IdRegistry& registry) const {
  Impl impl = MakeImpl(out);
  return impl.Resolve(out.drawn->persons, registry);
}

void City::WriteBlock(BlockOutput& out) const {
  Impl impl = MakeImpl(out);
  impl.Emit(out.drawn->persons);
  out.drawn->persons.clear();
}

}  // namespace vigil::sim
