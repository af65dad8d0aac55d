// The review console's HTTP server: the JSON API of docs/api.md and the static front end.
//
// One process owns the store (opened read-write: decisions and the audit log are written
// through it), keeps the queue in memory (CaseIndex) and answers on a cpp-httplib thread pool.
// Authorisation is checked per route: a missing or expired session is 401, a role that may not
// use the route is 403, and every state-changing request must carry the session's CSRF token in
// the X-CSRF-Token header (403 otherwise).
//
// Thread-safety: Start/Stop from one controlling thread; request handlers run concurrently and
// share only thread-safe members.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "accounts.h"
#include "vigil/status.h"

namespace vigil {
class Store;
}

namespace vigil::console {

struct ServerOptions {
  // Address to listen on. Default: 127.0.0.1 (loopback only; put a TLS proxy in front to
  // serve a network, see docs/console.md).
  std::string host = "127.0.0.1";
  // TCP port; 0 picks a free one (tests). Default: 8080.
  int port = 8080;
  // Folder holding public/ (the pages) and node_modules/echarts/dist. Required.
  std::string web_dir;
  SessionLimits session;
  // Failed logins allowed per account name and per client address within the window before
  // logins are refused with 429. Defaults: 5 per 15 minutes.
  int login_max_failures = 5;
  std::chrono::seconds login_window{15 * 60};
  // Months of payments at stake in the expected loss. Default: 12.
  int horizon_months = 12;
  // Build the employer/doctor link index in the background. Default: true.
  bool index_events = true;
};

class ConsoleServer {
 public:
  // Loads the queue and the link index from `store` (which must outlive the server).
  static Result<std::unique_ptr<ConsoleServer>> Create(Store& store, ServerOptions options);
  ~ConsoleServer();
  ConsoleServer(const ConsoleServer&) = delete;
  ConsoleServer& operator=(const ConsoleServer&) = delete;

  // Binds the port and returns it (the chosen one when options.port == 0).
  Result<int> Bind();
  // Serves until Stop() is called (from another thread or a signal handler thread).
  Status Run();
  void Stop();
  // Cases in the queue.
  size_t cases() const;

  struct Impl;

 private:
  explicit ConsoleServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Masks all but the last 4 characters (auditors' view of resident ids, accounts, phones).
std::string MaskTail(std::string_view text);

}  // namespace vigil::console
