// A small stand-in for libFuzzer, linked into every fuzz target in the normal (GCC) build.
//
// Usage: <target> [--seconds S] [--mutations N] [--seed K] PATH...
// Runs LLVMFuzzerTestOneInput on every file of each PATH (a folder is read in name order),
// then on up to N mutated copies of them (bit flips, byte inserts and deletes, duplicated and
// spliced ranges, CSV/JSON punctuation), drawn from a generator seeded with K, stopping early
// once S seconds have passed. Same seed, same corpus: same inputs, so a failure in CI replays.
// A target reports a broken invariant by aborting; the input that was running is then written
// to ./fuzz-crash-input so it can be added to the corpus and replayed alone.
// Not a coverage-guided fuzzer: the libFuzzer build (docs/fuzzing.md) searches; this replays.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// The input being run, for the crash handler (which may only make async-signal-safe calls).
const uint8_t* g_current = nullptr;
size_t g_current_size = 0;

void OnCrash(int sig) {
  const int fd = ::open("fuzz-crash-input", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    size_t done = 0;
    while (done < g_current_size) {
      const ssize_t n = ::write(fd, g_current + done, g_current_size - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ::close(fd);
  }
  static const char kMessage[] = "fuzz driver: input written to ./fuzz-crash-input\n";
  [[maybe_unused]] const ssize_t n = ::write(2, kMessage, sizeof(kMessage) - 1);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void Run(const std::string& input) {
  g_current = reinterpret_cast<const uint8_t*>(input.data());
  g_current_size = input.size();
  LLVMFuzzerTestOneInput(g_current, g_current_size);
}

// Bytes that steer the parsers into their interesting branches.
constexpr char kSpecial[] = {',', '"',  '\n',   '\r',   '\0',   '-',   '.', ':',
                             '{', '}',  '[',    ']',    '\\',   'X',   '0', '9',
                             ' ', '\t', '\x7f', '\xff', '\xe4', '\x80'};

// Uniform in [0, n) from the raw generator output: std::uniform_int_distribution is not the
// same across standard libraries, and a replay must be.
size_t Below(std::mt19937_64& rng, size_t n) { return n == 0 ? 0 : rng() % n; }

std::string Mutate(const std::vector<std::string>& corpus, std::mt19937_64& rng) {
  std::string s = corpus[Below(rng, corpus.size())];
  const size_t steps = 1 + Below(rng, 4);
  for (size_t step = 0; step < steps; ++step) {
    const size_t pos = Below(rng, s.size() + 1);
    switch (Below(rng, 7)) {
      case 0:  // flip one bit
        if (!s.empty()) s[pos % s.size()] ^= static_cast<char>(1u << Below(rng, 8));
        break;
      case 1:  // insert a random byte
        s.insert(pos, 1, static_cast<char>(rng()));
        break;
      case 2:  // insert a special byte
        s.insert(pos, 1, kSpecial[Below(rng, sizeof(kSpecial))]);
        break;
      case 3:  // overwrite with a special byte
        if (!s.empty()) s[pos % s.size()] = kSpecial[Below(rng, sizeof(kSpecial))];
        break;
      case 4:  // delete a range
        if (pos < s.size()) s.erase(pos, 1 + Below(rng, std::min<size_t>(16, s.size() - pos)));
        break;
      case 5: {  // duplicate a range in place
        if (pos < s.size()) {
          const std::string piece = s.substr(pos, 1 + Below(rng, 64));
          s.insert(Below(rng, s.size() + 1), piece);
        }
        break;
      }
      default: {  // splice: a range of another input replaces the tail
        const std::string& other = corpus[Below(rng, corpus.size())];
        const size_t from = Below(rng, other.size() + 1);
        s = s.substr(0, pos) + other.substr(from, Below(rng, other.size() - from + 1));
        break;
      }
    }
  }
  return s;
}

bool ReadFile(const std::filesystem::path& path, std::string* out) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return false;
  std::ifstream in(path, std::ios::binary);
  out->resize(size);
  in.read(out->data(), static_cast<std::streamsize>(size));
  return static_cast<bool>(in);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 4;
  uint64_t mutations = 200000;
  uint64_t seed = 20261127;
  std::vector<std::filesystem::path> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--seconds" && has_value) {
      seconds = std::strtod(argv[++i], nullptr);
    } else if (arg == "--mutations" && has_value) {
      mutations = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--seed" && has_value) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg.starts_with("-")) {
      std::fprintf(stderr, "usage: %s [--seconds S] [--mutations N] [--seed K] PATH...\n", argv[0]);
      return 2;
    } else {
      paths.emplace_back(arg);
    }
  }
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, OnCrash);

  std::vector<std::string> corpus;
  for (const auto& path : paths) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
    } else {
      files.push_back(path);
    }
    for (const auto& file : files) {
      std::string bytes;
      if (!ReadFile(file, &bytes)) {
        std::fprintf(stderr, "fuzz driver: cannot read %s\n", file.c_str());
        return 1;
      }
      corpus.push_back(std::move(bytes));
    }
  }
  if (corpus.empty()) corpus.emplace_back();

  const auto start = std::chrono::steady_clock::now();
  for (const std::string& input : corpus) Run(input);
  std::mt19937_64 rng(seed);
  uint64_t done = 0;
  for (; done < mutations; ++done) {
    // Checking the clock every input would cost more than the small inputs themselves.
    if (done % 64 == 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >=
            seconds) {
      break;
    }
    Run(Mutate(corpus, rng));
  }
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("fuzz driver: %zu corpus inputs, %llu mutations (seed %llu) in %.2f s\n",
              corpus.size(), static_cast<unsigned long long>(done),
              static_cast<unsigned long long>(seed), took);
  return 0;
}
