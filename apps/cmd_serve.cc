// `vigil serve`: the review console (apps/console, docs/console.md).
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "commands.h"
#include "console/server.h"
#include "vigil/store.h"

namespace vigil::cli {
namespace {

struct ServeArgs {
  std::string db;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string web = VIGIL_DEFAULT_WEB_DIR;
  int idle_seconds = 30 * 60;
  int absolute_seconds = 12 * 60 * 60;
  int login_failures = 5;
  int horizon_months = 12;
};

// Stops the server on SIGINT/SIGTERM from a normal thread (httplib's stop() is not
// async-signal-safe, so the handler itself does nothing but wake sigwait).
void WaitForStopSignal(console::ConsoleServer* server) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  server->Stop();
}

int RunServe(const ServeArgs& args) {
  // Block the stop signals in every thread (httplib's workers inherit the mask); one thread
  // waits for them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  StoreOptions store_options;
  store_options.path = args.db;
  store_options.create_if_missing = false;
  auto store = Store::Open(store_options);
  if (!store.ok()) {
    std::cerr << "vigil serve: cannot open " << args.db << ": " << store.status().ToString()
              << "\n";
    return kExitFailure;
  }
  // Not refused: the cases come from the last score run, which scoring made before the
  // delivery (it refuses a store holding part of one), and the reviewers' work on them goes on.
  // But a person's history may show part of the delivery: say so to whoever starts the console.
  auto unfinished = (*store)->UnfinishedDeliveries();
  if (!unfinished.ok()) {
    std::cerr << "vigil serve: " << unfinished.status().ToString() << "\n";
    return kExitFailure;
  }
  for (const UnfinishedDelivery& d : *unfinished) {
    std::cerr << "vigil serve: warning: the store holds part of an interrupted delivery (load id "
              << d.load_id << " from " << d.source
              << "): histories may show part of it; run vigil ingest on that folder again\n";
  }
  console::ServerOptions options;
  options.host = args.host;
  options.port = args.port;
  options.web_dir = args.web;
  options.session.idle = std::chrono::seconds(args.idle_seconds);
  options.session.absolute = std::chrono::seconds(args.absolute_seconds);
  options.login_max_failures = args.login_failures;
  options.horizon_months = args.horizon_months;
  if (!std::filesystem::exists(std::filesystem::path(args.web) / "node_modules" / "echarts" /
                               "dist" / "echarts.min.js")) {
    std::cerr << "vigil serve: warning: " << args.web
              << "/node_modules has no ECharts; run \"npm ci\" in web/ for the charts\n";
  }
  auto server = console::ConsoleServer::Create(**store, options);
  if (!server.ok()) {
    std::cerr << "vigil serve: " << server.status().ToString() << "\n";
    return kExitFailure;
  }
  auto port = (*server)->Bind();
  if (!port.ok()) {
    std::cerr << "vigil serve: " << port.status().ToString() << "\n";
    return kExitFailure;
  }
  std::printf("vigil serve: %zu cases; listening on http://%s:%d/\n", (*server)->cases(),
              args.host.c_str(), *port);
  std::fflush(stdout);
  std::thread stopper(WaitForStopSignal, server->get());
  Status run = (*server)->Run();
  if (stopper.joinable()) {
    // Run() returned without a signal (bind lost): wake the waiting thread.
    // NOLINTNEXTLINE(bugprone-bad-signal-to-kill-thread): the thread waits in sigwait for it.
    pthread_kill(stopper.native_handle(), SIGTERM);
    stopper.join();
  }
  if (!run.ok()) {
    std::cerr << "vigil serve: " << run.ToString() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Start the review console: web pages and the JSON API of docs/api.md");
  cmd->add_option("--db", args->db, "Store folder (scored with vigil score)")->required();
  cmd->add_option("--host", args->host, "Address to listen on (default loopback only)");
  cmd->add_option("--port", args->port, "TCP port (0 picks a free one)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--web", args->web, "Folder of the console front end (web/)");
  cmd->add_option("--session-idle", args->idle_seconds,
                  "Seconds without a request before a session expires")
      ->check(CLI::Range(1, 7 * 24 * 3600));
  cmd->add_option("--session-max", args->absolute_seconds,
                  "Seconds after login before a session expires regardless of activity")
      ->check(CLI::Range(1, 7 * 24 * 3600));
  cmd->add_option("--login-failures", args->login_failures,
                  "Failed logins per account or address within 15 minutes before refusing")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--horizon-months", args->horizon_months,
                  "Months of future payments at stake in the expected loss")
      ->check(CLI::Range(1, 120));
  cmd->callback([args, &exit_code] { exit_code = RunServe(*args); });
}

}  // namespace vigil::cli
