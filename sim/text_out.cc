#include "text_out.h"

#include "vigil/time.h"

namespace vigil::sim {

const DateText& DateText::Get() {
  static const DateText table;
  return table;
}

DateText::DateText() {
  first_day_ = DayNumber(Date(std::chrono::year(1890), std::chrono::January, std::chrono::day(1)));
  last_day_ = DayNumber(Date(std::chrono::year(2109), std::chrono::December, std::chrono::day(31)));
  text_.reserve(static_cast<size_t>(last_day_ - first_day_ + 1) * 10);
  for (int32_t d = first_day_; d <= last_day_; ++d) {
    const Date date = DateFromDayNumber(d);
    const auto y = static_cast<unsigned>(static_cast<int>(date.year()));
    const unsigned m = unsigned(date.month());
    const unsigned dd = unsigned(date.day());
    const char buf[10] = {static_cast<char>('0' + y / 1000),
                          static_cast<char>('0' + y / 100 % 10),
                          static_cast<char>('0' + y / 10 % 10),
                          static_cast<char>('0' + y % 10),
                          '-',
                          static_cast<char>('0' + m / 10),
                          static_cast<char>('0' + m % 10),
                          '-',
                          static_cast<char>('0' + dd / 10),
                          static_cast<char>('0' + dd % 10)};
    text_.append(buf, 10);
  }
}

}  // namespace vigil::sim
