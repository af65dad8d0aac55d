// Console accounts, sessions and the login rate limit.
//
// Accounts live in the store's meta: "console.user.<name>" holds
// {"name", "role", "hash", "created"} where "hash" is a libsodium crypto_pwhash_str string
// (Argon2id; its own parameters are inside it, so stronger settings later still verify old
// hashes). The list of names is meta "console.users" (a JSON array). Passwords never leave this
// file in clear, are never logged, and are compared only by crypto_pwhash_str_verify.
//
// Sessions live in memory only: a restart logs everyone out. A session is a random 256-bit
// token (the HttpOnly cookie) with its own random CSRF token, an idle limit and an absolute limit.
//
// Thread-safety: Accounts and Sessions are thread-safe (internal mutexes); LoginLimiter too.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "vigil/status.h"

namespace vigil {
class Store;
}

namespace vigil::console {

enum class Role : uint8_t { kReviewer, kSupervisor, kAuditor };
std::string_view RoleName(Role role);
Result<Role> ParseRole(std::string_view text);

// Cost of the password hash. kInteractive is libsodium's interactive setting (64 MiB, 2 passes);
// kModerate (256 MiB) suits a server with memory to spare; kTestOnly (minimum limits) exists
// so test suites can create many accounts quickly and must never be used for real accounts.
enum class KdfStrength : uint8_t { kInteractive, kModerate, kTestOnly };

struct User {
  std::string name;
  Role role = Role::kReviewer;
  std::string hash;
  std::string created;
};

// Account names: 1..64 characters of [A-Za-z0-9._-], so they are safe in keys, logs and URLs.
bool ValidUserName(std::string_view name);

class Accounts {
 public:
  explicit Accounts(Store& store) : store_(store) {}
  // Creates or replaces (password reset, role change) an account. InvalidArgument for a bad
  // name or a password shorter than 10 bytes.
  Status Put(std::string_view name, Role role, std::string_view password, KdfStrength strength);
  Result<User> Get(std::string_view name) const;
  Result<std::vector<User>> List() const;
  // OK with the user when the password matches; NotFound for an unknown name and
  // InvalidArgument for a wrong password (callers must not tell the two apart to the client).
  Result<User> Check(std::string_view name, std::string_view password) const;

 private:
  Store& store_;
  mutable std::mutex mu_;
};

struct Session {
  std::string token;
  std::string csrf;
  std::string user;
  Role role = Role::kReviewer;
  std::chrono::steady_clock::time_point created;
  std::chrono::steady_clock::time_point last_seen;
};

struct SessionLimits {
  // Logged out after this long without a request. Default: 30 minutes.
  std::chrono::seconds idle{30 * 60};
  // Logged out this long after login whatever the activity. Default: 12 hours.
  std::chrono::seconds absolute{12 * 60 * 60};
};

class Sessions {
 public:
  explicit Sessions(SessionLimits limits) : limits_(limits) {}
  Session Create(const User& user);
  // The live session of `token` (touching its idle timer), or nullopt when unknown or expired
  // (an expired session is removed).
  std::optional<Session> Find(std::string_view token);
  void Remove(std::string_view token);

 private:
  SessionLimits limits_;
  std::mutex mu_;
  std::unordered_map<std::string, Session> by_token_;
};

// Refuses logins after `max_failures` failed attempts within `window` for one account name, or
// kAddressFactor times as many from one client address (so one address cannot try many names,
// nor many addresses one name, faster than the limit, while colleagues behind one proxy address
// who mistype are not all locked out at once).
//
// An attempt counts as a failure from the moment it begins (BeginAttempt, before the slow
// password check) until it succeeds (RecordSuccess), so parallel attempts cannot all pass the
// limit before the first of them is recorded as failed.
class LoginLimiter {
 public:
  LoginLimiter(int max_failures, std::chrono::seconds window)
      : max_failures_(max_failures), window_(window) {}
  // Seconds to wait before another attempt is allowed for (name, address), in which case the
  // attempt is not counted; 0 when allowed, in which case the attempt is counted as a failure.
  int64_t BeginAttempt(std::string_view name, std::string_view address);
  // The attempt begun for (name, address) succeeded: forgets the name's failures and takes the
  // attempt back from the address's count.
  void RecordSuccess(std::string_view name, std::string_view address);

 private:
  static constexpr int kAddressFactor = 5;
  int64_t RetryAfterLocked(const std::string& key, std::chrono::steady_clock::time_point now,
                           int limit);
  int max_failures_;
  std::chrono::seconds window_;
  std::mutex mu_;
  std::map<std::string, std::deque<std::chrono::steady_clock::time_point>> failures_;
};

// Random token: `bytes` random bytes from libsodium, hex encoded.
std::string RandomToken(size_t bytes = 32);

// Constant-time comparison of two strings of possibly different lengths.
bool SecureEquals(std::string_view a, std::string_view b);

}  // namespace vigil::console
