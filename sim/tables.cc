#include "tables.h"

#include <algorithm>
#include <array>
#include <string>

#include "rng.h"
#include "vigil/codes.h"

namespace vigil::sim {
namespace {

std::vector<Region> MakeRegions() {
  std::vector<Region> r;
  r.push_back({3702,
               "青岛市",
               0.50,
               8,
               198000,
               1.25,
               {{370202, "市南区", true, 0.09},
                {370203, "市北区", true, 0.17},
                {370211, "黄岛区", true, 0.14},
                {370212, "崂山区", true, 0.05},
                {370213, "李沧区", true, 0.09},
                {370214, "城阳区", true, 0.08},
                {370215, "即墨区", false, 0.11},
                {370281, "胶州市", false, 0.08},
                {370283, "平度市", false, 0.12},
                {370285, "莱西市", false, 0.07}},
               {370205, 370282, 370284},
               "QDK"});
  r.push_back({3706,
               "烟台市",
               0.17,
               10,
               189000,
               1.05,
               {{370602, "芝罘区", true, 0.17},
                {370611, "福山区", true, 0.07},
                {370612, "牟平区", true, 0.07},
                {370613, "莱山区", true, 0.06},
                {370614, "蓬莱区", false, 0.07},
                {370681, "龙口市", false, 0.09},
                {370682, "莱阳市", false, 0.11},
                {370683, "莱州市", false, 0.11},
                {370685, "招远市", false, 0.08},
                {370686, "栖霞市", false, 0.07},
                {370687, "海阳市", false, 0.10}},
               {370684, 370634},
               "YAK"});
  r.push_back({3707,
               "潍坊市",
               0.20,
               6,
               189000,
               0.95,
               {{370702, "潍城区", true, 0.06},
                {370703, "寒亭区", true, 0.05},
                {370704, "坊子区", true, 0.05},
                {370705, "奎文区", true, 0.09},
                {370724, "临朐县", false, 0.09},
                {370725, "昌乐县", false, 0.07},
                {370781, "青州市", false, 0.10},
                {370782, "诸城市", false, 0.12},
                {370783, "寿光市", false, 0.12},
                {370784, "安丘市", false, 0.10},
                {370785, "高密市", false, 0.08},
                {370786, "昌邑市", false, 0.07}},
               {},
               "WFK"});
  r.push_back({3710,
               "威海市",
               0.07,
               9,
               189000,
               1.05,
               {{371002, "环翠区", true, 0.35},
                {371003, "文登区", true, 0.25},
                {371082, "荣成市", false, 0.24},
                {371083, "乳山市", false, 0.16}},
               {371081},
               "WKK"});
  r.push_back({3711,
               "日照市",
               0.06,
               12,
               171000,
               0.90,
               {{371102, "东港区", true, 0.40},
                {371103, "岚山区", true, 0.15},
                {371121, "五莲县", false, 0.17},
                {371122, "莒县", false, 0.28}},
               {},
               "RZK"});
  return r;
}

std::vector<Industry> MakeIndustries() {
  return {
      {"A01", "农业", 0.020, 0.0},
      {"B06", "煤炭开采和洗选业", 0.015, 0.0},
      {"B09", "有色金属矿采选业", 0.015, 0.0},
      {"C13", "农副食品加工业", 0.050, 0.0},
      {"C17", "纺织业", 0.060, 0.0},
      {"C18", "纺织服装、服饰业", 0.050, 0.0},
      {"C22", "造纸和纸制品业", 0.010, 0.0},
      {"C25", "石油、煤炭及其他燃料加工业", 0.010, 0.0},
      {"C26", "化学原料和化学制品制造业", 0.040, 0.0},
      {"C27", "医药制造业", 0.010, 0.0},
      {"C29", "橡胶和塑料制品业", 0.030, 0.0},
      {"C30", "非金属矿物制品业", 0.020, 0.0},
      {"C31", "黑色金属冶炼和压延加工业", 0.015, 0.0},
      {"C33", "金属制品业", 0.030, 0.0},
      {"C34", "通用设备制造业", 0.040, 0.0},
      {"C36", "汽车制造业", 0.030, 0.0},
      {"C37", "铁路、船舶、航空航天和其他运输设备制造业", 0.030, 0.0},
      {"C38", "电气机械和器材制造业", 0.050, 0.0},
      {"C39", "计算机、通信和其他电子设备制造业", 0.040, 0.0},
      {"D44", "电力、热力生产和供应业", 0.020, 0.0},
      {"E47", "房屋建筑业", 0.060, 0.0},
      {"E48", "土木工程建筑业", 0.030, 0.0},
      {"F51", "批发业", 0.050, 0.0},
      {"F52", "零售业", 0.060, 0.0},
      {"G53", "铁路运输业", 0.015, 0.0},
      {"G54", "道路运输业", 0.030, 0.0},
      {"G55", "水上运输业", 0.020, 0.0},
      {"G59", "装卸搬运和仓储业", 0.010, 0.0},
      {"H61", "住宿业", 0.015, 0.0},
      {"H62", "餐饮业", 0.030, 0.0},
      {"I65", "软件和信息技术服务业", 0.010, 0.0},
      {"J66", "货币金融服务", 0.020, 0.0},
      {"J68", "保险业", 0.010, 0.0},
      {"K70", "房地产业", 0.020, 0.0},
      {"L72", "商务服务业", 0.030, 0.0},
      {"M73", "研究和试验发展", 0.005, 0.06},
      {"N78", "公共设施管理业", 0.010, 0.04},
      {"O80", "居民服务业", 0.020, 0.0},
      {"P83", "教育", 0.010, 0.33},
      {"Q84", "卫生", 0.010, 0.20},
      {"R87", "文化艺术业", 0.005, 0.04},
      {"S92", "国家机构", 0.0, 0.25},
      {"S95", "群众团体、社会团体和其他成员组织", 0.0, 0.03},
  };
}

std::vector<NameEntry> MakeSurnames() {
  // Weights lean to Shandong and the Jiaodong peninsula (于, 姜, 曲, 隋, 宫, 鞠, 栾 are
  // far more common there than nationally).
  return {{"王", 9.5}, {"张", 7.5}, {"李", 7.5}, {"刘", 6.5}, {"孙", 3.0},   {"杨", 2.5},
          {"陈", 2.5}, {"赵", 2.5}, {"于", 2.5}, {"徐", 2.2}, {"高", 2.0},   {"姜", 2.0},
          {"宋", 1.5}, {"周", 1.2}, {"郭", 1.2}, {"马", 1.2}, {"曲", 1.0},   {"吴", 1.0},
          {"丁", 1.0}, {"林", 1.0}, {"崔", 1.0}, {"韩", 1.0}, {"董", 1.0},   {"胡", 1.0},
          {"朱", 1.0}, {"黄", 1.0}, {"冯", 0.8}, {"吕", 0.8}, {"任", 0.7},   {"田", 0.7},
          {"曹", 0.7}, {"魏", 0.7}, {"郑", 0.7}, {"隋", 0.6}, {"毕", 0.6},   {"邢", 0.6},
          {"薛", 0.6}, {"袁", 0.6}, {"纪", 0.6}, {"苏", 0.6}, {"梁", 0.6},   {"贾", 0.6},
          {"杜", 0.6}, {"宫", 0.5}, {"孔", 0.5}, {"程", 0.5}, {"尹", 0.5},   {"秦", 0.5},
          {"范", 0.5}, {"臧", 0.4}, {"栾", 0.4}, {"鞠", 0.4}, {"初", 0.4},   {"房", 0.4},
          {"蒋", 0.4}, {"谭", 0.4}, {"彭", 0.4}, {"牟", 0.4}, {"修", 0.3},   {"衣", 0.3},
          {"逄", 0.3}, {"盛", 0.3}, {"宁", 0.3}, {"匡", 0.2}, {"欧阳", 0.05}};
}

// Which hazardous job types an industry (GB/T 4754-2017 division) really employs people in,
// as the generator's own reading of Chinese industry: where the ministries' lists of special
// jobs (the 1985-1993 lists of each industrial ministry behind the 1999 special-job rules) put
// such workers. It is deliberately not the rule's table (docs/rules.md): honest careers are
// drawn from what exists, and the evaluation then shows where the rule's table disagrees.
// Only divisions of MakeIndustries() are listed; any other code has no special jobs.
struct SpecialJobRow {
  JobType job;
  std::array<std::string_view, 12> divisions;  // unused entries empty
};
constexpr std::array<SpecialJobRow, 5> kSpecialJobs = {{
    // Underground: coal mines (B06, Longkou), gold and other non-ferrous mines (B09, Zhaoyuan),
    // and tunnel and metro construction (E48).
    {JobType::kUnderground, {"B06", "B09", "E48"}},
    // At height: scaffolders and steel erectors on building sites (E47), bridge and tower
    // builders (E48), power-line workers (D44).
    {JobType::kHighAltitude, {"E47", "E48", "D44"}},
    // Furnaces: coke ovens and refineries (C25), carbide and phosphorus furnaces (C26), glass,
    // cement and ceramic kilns (C30), iron and steel (C31), foundries, forges and heat
    // treatment in metal products (C33) and in engine and machinery works (C34), boilers of
    // thermal power (D44).
    {JobType::kHighTemperature, {"C25", "C26", "C30", "C31", "C33", "C34", "D44"}},
    // Very heavy manual work: coal and metal mines (B06, B09), masons and concrete gangs (E47,
    // E48), cement and brick works (C30), steelworks (C31), hull assembly in shipyards (C37),
    // railway track gangs (G53), dockers (G55 ports, G59 loading and unloading).
    {JobType::kHeavyLabour, {"B06", "B09", "C30", "C31", "C37", "E47", "E48", "G53", "G55", "G59"}},
    // Harmful to health: mine dust (B06, B09), pulp cooking and bleaching (C22), refineries
    // and chemical works (C25, C26), synthesis of drugs (C27), rubber mixing and vulcanising
    // (C29), silica and asbestos dust (C30), electroplating (C33), painting and welding in
    // ship hulls (C37), lead batteries (C38), solvents and metals in electronics (C39).
    {JobType::kToxic,
     {"B06", "B09", "C22", "C25", "C26", "C27", "C29", "C30", "C33", "C37", "C38", "C39"}},
}};
uint8_t SpecialJobMask(std::string_view division) {
  uint8_t mask = 0;
  const auto add = [&mask](JobType job) {
    mask = static_cast<uint8_t>(mask | (1U << static_cast<int>(job)));
  };
  for (const SpecialJobRow& row : kSpecialJobs) {
    for (std::string_view d : row.divisions) {
      if (!d.empty() && d == division) add(row.job);
    }
  }
  return mask;
}

}  // namespace

Tables::Tables(uint64_t seed)
    : regions_(MakeRegions()), industries_(MakeIndustries()), surnames_(MakeSurnames()) {
  for (auto& ind : industries_) ind.special_mask = SpecialJobMask(ind.code);
  double total = 0;
  for (const auto& s : surnames_) total += s.weight;
  double acc = 0;
  for (const auto& s : surnames_) {
    acc += s.weight / total;
    surname_cdf_.push_back(acc);
  }
  surname_cdf_[surname_cdf_.size() - 1] = 1.0;

  // Given names by birth era (before 1945, 1945-1959, 1960 on): the fashions of each era.
  male_given_[0] = {"德福", "玉山", "树林", "振海", "宝山", "永贵", "福田", "继先", "兆礼",
                    "传礼", "洪文", "庆元", "殿臣", "吉祥", "成林", "景山", "文秀", "焕章"};
  male_given_[1] = {"建国", "国庆", "卫东", "建华", "志刚", "建军", "德胜", "和平",
                    "援朝", "跃进", "胜利", "爱国", "国华", "振华", "文明", "立新",
                    "学军", "永强", "福生", "世民", "光明", "庆丰"};
  male_given_[2] = {"志强", "建平", "海涛", "卫国", "军",   "伟",   "勇",   "刚",
                    "强",   "涛",   "海滨", "海波", "建波", "明",   "峰",   "斌",
                    "晓东", "新华", "永刚", "春雷", "红卫", "文革", "向东", "卫兵"};
  female_given_[0] = {"秀英", "桂英", "玉兰", "秀兰", "淑珍", "凤英", "玉珍", "桂兰",
                      "淑贞", "兰英", "翠英", "素珍", "金凤", "玉梅", "瑞英", "桂珍"};
  female_given_[1] = {"秀珍", "桂芝", "凤兰", "玉华", "淑华", "秀芳", "红英", "美华", "爱华",
                      "丽华", "桂香", "玉芝", "秀云", "春兰", "冬梅", "淑英", "秀荣"};
  female_given_[2] = {"丽",   "红",   "霞",   "燕",   "萍",   "丽华", "红梅",
                      "海燕", "玉梅", "秀梅", "春燕", "晓燕", "丽娟", "爱玲",
                      "美玲", "艳",   "敏",   "静",   "卫红", "红霞", "金花"};
  streets_ = {"香港中路", "延安三路", "辽宁路",   "台东一路", "重庆南路", "黑龙江中路",
              "长江中路", "泰山路",   "胜利路",   "人民路",   "解放路",   "建设路",
              "新华路",   "和平路",   "文化路",   "青年路",   "东风街",   "健康路",
              "北京路",   "幸福街",   "世纪大道", "海滨路"};
  villages_ = {"王家庄", "李家疃", "东庄",   "西河",   "南埠", "北岭",   "大沟",
               "小店",   "后屯",   "前洼",   "河西",   "崖头", "刘家沟", "张家埠",
               "孙家夼", "姜家庄", "于家泊", "曲家屯", "新村", "大泊"};
  urban_bins_ = {"622848", "621700", "621226", "622262", "621661", "622908"};
  rural_bins_ = {"622320", "623059", "621098", "622188", "622848"};
  far_stations_ = {"JGK", "VNP", "AOH", "TJP", "SYT", "NJH", "HZH", "XAY", "TAO", "CTU"};

  // Employer pool: per region and industry, a count proportional to the industry's size, each
  // with a valid unified social credit code registered in one of the region's districts.
  Rng rng(seed, 0xE3B0C442ULL);
  const size_t n_ind = industries_.size();
  by_region_industry_.resize(regions_.size() * n_ind);
  for (size_t r = 0; r < regions_.size(); ++r) {
    for (size_t i = 0; i < n_ind; ++i) {
      const auto& ind = industries_[i];
      const double w = ind.employee_weight + ind.public_weight;
      if (w <= 0) continue;
      const int count = std::max(4, static_cast<int>(w * regions_[r].weight * 6000));
      for (int k = 0; k < count; ++k) {
        const auto& districts = regions_[r].districts;
        const uint32_t dcode = districts[rng.Bounded(districts.size())].code;
        std::string id;
        if (ind.code == "S92" || ind.code == "S95") {
          id = "11";
        } else if (ind.public_weight > ind.employee_weight || rng.Chance(0.05)) {
          id = "12";
        } else {
          id = "91";
        }
        id += std::to_string(dcode);
        // Organisation code (GB 11714): 8 digits and a MOD 11 check character.
        static constexpr int kOrgWeights[8] = {3, 7, 9, 10, 5, 8, 4, 2};
        int sum = 0;
        for (int d = 0; d < 8; ++d) {
          const int digit = static_cast<int>(rng.Bounded(10));
          sum += digit * kOrgWeights[d];
          id.push_back(static_cast<char>('0' + digit));
        }
        const int c9 = 11 - sum % 11;
        id.push_back(c9 == 10 ? 'X' : c9 == 11 ? '0' : static_cast<char>('0' + c9));
        id.push_back(CreditCodeCheckChar(id));
        by_region_industry_[r * n_ind + i].push_back(static_cast<uint32_t>(employers_.size()));
        employers_.push_back({std::move(id), static_cast<uint16_t>(i), static_cast<uint16_t>(r)});
      }
    }
  }
}

double Tables::CohortSize(int year) {
  // Births in China by year, millions (national statistics yearbooks), 1920-1980.
  static constexpr double kBirths1950[] = {20.2, 21.3, 21.0, 21.5, 22.5, 19.8, 19.6, 21.7,
                                           19.1, 16.5, 13.9, 11.9, 24.6, 29.6, 27.3, 27.0,
                                           25.8, 25.6, 27.6, 27.1, 27.4, 25.7, 25.5, 24.6,
                                           22.3, 21.0, 18.5, 17.9, 17.3, 17.2, 17.9};
  if (year < 1930) return 11.0;
  if (year < 1946) return 12.0;
  if (year < 1950) return 14.0;
  if (year <= 1980) return kBirths1950[year - 1950];
  return 18.0;
}

int Tables::IndustryIndex(std::string_view code) const {
  for (size_t i = 0; i < industries_.size(); ++i) {
    if (industries_[i].code == code) return static_cast<int>(i);
  }
  return -1;
}

size_t Tables::Pick(const std::vector<double>& cdf, double u) {
  const auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
  return it == cdf.end() ? cdf.size() - 1 : static_cast<size_t>(it - cdf.begin());
}

char CreditCodeCheckChar(std::string_view first17) {
  static constexpr std::string_view kChars = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  static constexpr int kWeights[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                       29, 25, 13, 8,  24, 10, 30, 28};
  int sum = 0;
  for (size_t i = 0; i < 17 && i < first17.size(); ++i) {
    const auto pos = kChars.find(first17[i]);
    sum += static_cast<int>(pos == std::string_view::npos ? 0 : pos) * kWeights[i];
  }
  const int c = (31 - sum % 31) % 31;
  return kChars[static_cast<size_t>(c)];
}

char LuhnCheckDigit(std::string_view body) {
  int sum = 0;
  bool dbl = true;  // the digit next to the check digit is doubled
  for (size_t i = body.size(); i-- > 0;) {
    int d = body[i] - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

}  // namespace vigil::sim
