#include "console_assets.h"

#include <string>
#include <utility>

#include "embedded.h"

namespace ingest {

namespace {

constexpr std::string_view kPrefix = "/console/";

std::string_view ContentType(std::string_view name) {
  auto ends_with = [&](std::string_view ext) {
    return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext;
  };
  if (ends_with(".html")) return "text/html; charset=utf-8";
  if (ends_with(".js")) return "text/javascript; charset=utf-8";
  if (ends_with(".css")) return "text/css; charset=utf-8";
  if (ends_with(".json")) return "application/json";
  return "application/octet-stream";
}

HttpResponse WithHeaders(int status, std::string_view content_type, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = std::string(content_type);
  r.body = std::move(body);
  // The security headers (CSP, nosniff, framing, referrer) are the daemon's defaults on every
  // response (ingest/src/daemon.cc); these are the console's own.
  r.headers = {
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Cache-Control", "no-cache"},
  };
  return r;
}

}  // namespace

bool IsConsolePath(std::string_view path) {
  return path == "/" || path == kPrefix.substr(0, kPrefix.size() - 1) ||
         path.substr(0, kPrefix.size()) == kPrefix;
}

HttpResponse ConsoleAsset(std::string_view method, std::string_view path) {
  if (method != "GET" && method != "HEAD") {
    HttpResponse r = WithHeaders(405, "text/plain; charset=utf-8", "use GET\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  std::string_view file = "index.html";
  if (path.size() > kPrefix.size() && path.substr(0, kPrefix.size()) == kPrefix) {
    file = path.substr(kPrefix.size());
  }
  // Only names compiled in are found: "..", "%2e" and the like match nothing.
  const std::string name = "console/" + std::string(file);
  auto data = drugtrace::embedded::Find(name);
  if (!data) return WithHeaders(404, "text/plain; charset=utf-8", "no such console file\n");
  return WithHeaders(200, ContentType(name), method == "HEAD" ? std::string() : std::string(*data));
}

}  // namespace ingest
