// A one-line progress display on stderr for long commands: rate and ETA, redrawn in place.
// Shown only when stderr is a terminal, so pipes and logs stay quiet.
// Thread-safety: Update() may be called from any thread; redraws are serialised and throttled.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

namespace vigil::cli {

class ProgressLine {
 public:
  explicit ProgressLine(std::string label)
      : label_(std::move(label)), enabled_(isatty(STDERR_FILENO) == 1) {}
  ~ProgressLine() { Finish(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  bool enabled() const { return enabled_; }

  // `done` of `total` units (total 0 = unknown), `unit` e.g. "persons", `phase` optional.
  void Update(uint64_t done, uint64_t total, const char* unit, const char* phase = "") {
    if (!enabled_) return;
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    if (now - last_draw_ < std::chrono::milliseconds(200) && done != total) return;
    last_draw_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
    const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0;
    const double eta = fraction > 0 ? seconds * (1 - fraction) / fraction : 0;
    if (total == 0) {
      // Nothing to reckon an ETA from (a payroll's rows are not known before it is read).
      std::fprintf(stderr, "\r%s %s %llu %s  %.0f %s/s   ", label_.c_str(), phase,
                   static_cast<unsigned long long>(done), unit, rate, unit);
    } else {
      std::fprintf(stderr, "\r%s %s %llu/%llu %s  %.0f %s/s  ETA %.0f s   ", label_.c_str(), phase,
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                   unit, rate, unit, eta);
    }
    std::fflush(stderr);
    drawn_ = true;
  }

  // Ends the line (once).
  void Finish() {
    std::lock_guard lock(mutex_);
    if (drawn_) std::fputc('\n', stderr);
    drawn_ = false;
  }

 private:
  using Clock = std::chrono::steady_clock;
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::mutex mutex_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_draw_{};
};

}  // namespace vigil::cli
