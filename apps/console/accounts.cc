#include "accounts.h"

#include <sodium.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "vigil/store.h"
#include "vigil/time.h"

namespace vigil::console {
namespace {

constexpr std::string_view kUserPrefix = "console.user.";
constexpr std::string_view kUserList = "console.users";
constexpr size_t kMinPasswordBytes = 10;

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

std::string MetaKey(std::string_view name) { return std::string(kUserPrefix) + std::string(name); }

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kReviewer:
      return "reviewer";
    case Role::kSupervisor:
      return "supervisor";
    case Role::kAuditor:
      return "auditor";
  }
  return "?";
}

Result<Role> ParseRole(std::string_view text) {
  for (Role r : {Role::kReviewer, Role::kSupervisor, Role::kAuditor}) {
    if (RoleName(r) == text) return r;
  }
  return Status::InvalidArgument("unknown role '" + std::string(text) +
                                 "' (expected reviewer, supervisor or auditor)");
}

bool ValidUserName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

std::string RandomToken(size_t bytes) {
  if (!SodiumReady()) return {};
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

bool SecureEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

Status Accounts::Put(std::string_view name, Role role, std::string_view password,
                     KdfStrength strength) {
  if (!ValidUserName(name)) {
    return Status::InvalidArgument("account names are 1-64 characters of A-Z a-z 0-9 . _ -");
  }
  if (password.size() < kMinPasswordBytes) {
    return Status::InvalidArgument("passwords need at least " + std::to_string(kMinPasswordBytes) +
                                   " bytes");
  }
  if (!SodiumReady()) return Status::Internal("libsodium failed to initialise");
  unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  if (strength == KdfStrength::kModerate) {
    ops = crypto_pwhash_OPSLIMIT_MODERATE;
    mem = crypto_pwhash_MEMLIMIT_MODERATE;
  } else if (strength == KdfStrength::kTestOnly) {
    ops = crypto_pwhash_OPSLIMIT_MIN;
    mem = crypto_pwhash_MEMLIMIT_MIN;
  }
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(hash, password.data(), password.size(), ops, mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::Unavailable("out of memory while hashing the password");
  }
  std::lock_guard lock(mu_);
  nlohmann::json user = {{"name", name}, {"role", RoleName(role)}, {"hash", hash}};
  auto existing = store_.GetMeta(MetaKey(name));
  if (existing.ok()) {
    auto old = nlohmann::json::parse(*existing, nullptr, false);
    if (old.is_object() && old.contains("created")) user["created"] = old["created"];
  }
  if (!user.contains("created")) {
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    user["created"] = FormatTimestamp(Timestamp(now.time_since_epoch()) + std::chrono::hours(8));
  }
  VIGIL_RETURN_IF_ERROR(store_.PutMeta(MetaKey(name), user.dump()));
  nlohmann::json names = nlohmann::json::array();
  auto list = store_.GetMeta(kUserList);
  if (list.ok()) {
    names = nlohmann::json::parse(*list, nullptr, false);
    if (!names.is_array()) names = nlohmann::json::array();
  }
  if (std::find(names.begin(), names.end(), nlohmann::json(name)) == names.end()) {
    names.push_back(name);
  }
  return store_.PutMeta(kUserList, names.dump());
}

Result<User> Accounts::Get(std::string_view name) const {
  if (!ValidUserName(name)) return Status::NotFound("no such account");
  VIGIL_ASSIGN_OR_RETURN(std::string text, store_.GetMeta(MetaKey(name)));
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("role") || !j.contains("hash")) {
    return Status::Corruption("meta " + MetaKey(name) + " is not an account record");
  }
  VIGIL_ASSIGN_OR_RETURN(Role role, ParseRole(j["role"].get<std::string>()));
  return User{std::string(name), role, j["hash"].get<std::string>(), j.value("created", "")};
}

Result<std::vector<User>> Accounts::List() const {
  std::vector<User> users;
  auto list = store_.GetMeta(kUserList);
  if (!list.ok()) {
    if (list.status().code() == StatusCode::kNotFound) return users;
    return list.status();
  }
  auto names = nlohmann::json::parse(*list, nullptr, false);
  if (!names.is_array()) return Status::Corruption("meta console.users is not a JSON array");
  for (const auto& n : names) {
    if (!n.is_string()) continue;
    auto u = Get(n.get<std::string>());
    if (u.ok()) users.push_back(std::move(*u));
  }
  return users;
}

Result<User> Accounts::Check(std::string_view name, std::string_view password) const {
  auto user = Get(name);
  if (!user.ok()) {
    // Spend about the same time as a real check so response timing does not reveal which
    // account names exist.
    static const std::string dummy = [] {
      char h[crypto_pwhash_STRBYTES] = {};
      if (SodiumReady()) {
        if (crypto_pwhash_str_alg(h, "x", 1, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                  crypto_pwhash_MEMLIMIT_INTERACTIVE,
                                  crypto_pwhash_ALG_ARGON2ID13) != 0) {
          h[0] = '\0';
        }
      }
      return std::string(h);
    }();
    if (!dummy.empty() &&
        crypto_pwhash_str_verify(dummy.c_str(), password.data(), password.size()) == 0) {
      // Unreachable in practice (the dummy hashes "x", shorter than any allowed password).
    }
    return Status::NotFound("no such account");
  }
  if (crypto_pwhash_str_verify(user->hash.c_str(), password.data(), password.size()) != 0) {
    return Status::InvalidArgument("wrong password");
  }
  return user;
}

Session Sessions::Create(const User& user) {
  Session s;
  s.token = RandomToken();
  s.csrf = RandomToken();
  s.user = user.name;
  s.role = user.role;
  s.created = s.last_seen = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  // Drop expired sessions now and then so the map does not grow without bound.
  if (by_token_.size() > 1024) {
    for (auto it = by_token_.begin(); it != by_token_.end();) {
      const bool expired = s.created - it->second.last_seen > limits_.idle ||
                           s.created - it->second.created > limits_.absolute;
      it = expired ? by_token_.erase(it) : std::next(it);
    }
  }
  by_token_[s.token] = s;
  return s;
}

std::optional<Session> Sessions::Find(std::string_view token) {
  if (token.empty()) return std::nullopt;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  auto it = by_token_.find(std::string(token));
  if (it == by_token_.end()) return std::nullopt;
  if (now - it->second.last_seen > limits_.idle || now - it->second.created > limits_.absolute) {
    by_token_.erase(it);
    return std::nullopt;
  }
  it->second.last_seen = now;
  return it->second;
}

void Sessions::Remove(std::string_view token) {
  std::lock_guard lock(mu_);
  by_token_.erase(std::string(token));
}

int64_t LoginLimiter::RetryAfterLocked(const std::string& key,
                                       std::chrono::steady_clock::time_point now, int limit) {
  auto it = failures_.find(key);
  if (it == failures_.end()) return 0;
  auto& q = it->second;
  while (!q.empty() && now - q.front() > window_) q.pop_front();
  if (static_cast<int>(q.size()) < limit) return 0;
  const auto wait = window_ - (now - q.front());
  return std::max<int64_t>(1, std::chrono::ceil<std::chrono::seconds>(wait).count());
}

int64_t LoginLimiter::BeginAttempt(std::string_view name, std::string_view address) {
  const auto now = std::chrono::steady_clock::now();
  const std::string name_key = "u:" + std::string(name);
  const std::string address_key = "a:" + std::string(address);
  std::lock_guard lock(mu_);
  const int64_t wait = std::max(RetryAfterLocked(name_key, now, max_failures_),
                                RetryAfterLocked(address_key, now, max_failures_ * kAddressFactor));
  if (wait > 0) return wait;
  // Forget stale keys once the table is large, so random names cannot grow it without bound.
  if (failures_.size() > 10000) {
    for (auto it = failures_.begin(); it != failures_.end();) {
      it = it->second.empty() || now - it->second.back() > window_ ? failures_.erase(it)
                                                                   : std::next(it);
    }
  }
  failures_[name_key].push_back(now);
  failures_[address_key].push_back(now);
  return 0;
}

void LoginLimiter::RecordSuccess(std::string_view name, std::string_view address) {
  std::lock_guard lock(mu_);
  failures_.erase("u:" + std::string(name));
  // Take back one attempt (the newest keeps the queue in time order); the address's real
  // failures stay counted.
  if (auto it = failures_.find("a:" + std::string(address));
      it != failures_.end() && !it->second.empty()) {
    it->second.pop_back();
  }
}

}  // namespace vigil::console
