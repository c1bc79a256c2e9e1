// The coverage report as a terminal table, CSV and a self-contained HTML page (docs/reports.md).
#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "ingest/coverage.h"
#include "ingest/regulator.h"

namespace ingest {

namespace {

std::string Milli(std::int64_t milli) {
  const bool neg = milli < 0;
  const std::uint64_t v =
      neg ? static_cast<std::uint64_t>(-milli) : static_cast<std::uint64_t>(milli);
  std::string s = std::to_string(v / 1000);
  if (const std::uint64_t frac = v % 1000; frac != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03llu", static_cast<unsigned long long>(frac));
    std::string f = buf;
    while (f.back() == '0') f.pop_back();
    s += f;
  }
  return neg ? "-" + s : s;
}

std::string Yuan(std::int64_t fen) {
  const bool neg = fen < 0;
  const std::uint64_t v = neg ? static_cast<std::uint64_t>(-fen) : static_cast<std::uint64_t>(fen);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s%llu.%02llu", neg ? "-" : "",
                static_cast<unsigned long long>(v / 100), static_cast<unsigned long long>(v % 100));
  return buf;
}

std::string Percent(std::optional<double> r) {
  if (!r) return "-";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f%%", *r * 100.0);
  return buf;
}

std::string Ratio(std::optional<double> r) {
  if (!r) return "";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.4f", *r);
  return buf;
}

// Terminal columns: CJK characters (3-byte UTF-8 here) take two.
std::size_t Width(std::string_view s) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    w += len >= 3 ? 2 : 1;
    i += len;
  }
  return w;
}

std::string Pad(std::string_view s, std::size_t width, bool right = false) {
  const std::size_t w = Width(s);
  const std::string fill(w < width ? width - w : 0, ' ');
  return right ? fill + std::string(s) : std::string(s) + fill;
}

struct Table {
  std::vector<std::string> head;
  std::vector<std::vector<std::string>> rows;
  std::string Render() const {
    std::vector<std::size_t> w(head.size(), 0);
    for (std::size_t i = 0; i < head.size(); ++i) w[i] = Width(head[i]);
    for (const auto& r : rows) {
      for (std::size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], Width(r[i]));
    }
    std::string out;
    auto line = [&](const std::vector<std::string>& r) {
      for (std::size_t i = 0; i < r.size(); ++i) {
        out += Pad(r[i], w[i], i > 2) + (i + 1 < r.size() ? "  " : "\n");
      }
    };
    line(head);
    for (const auto& r : rows) line(r);
    return out;
  }
};

std::vector<std::string> FigureCells(const CoverageFigures& f) {
  return {Percent(f.CollectionRateBoxes()),    Percent(f.CollectionRateAmount()),
          Percent(f.SettlementRateBoxes()),    Percent(f.SettlementRateAmount()),
          Milli(f.all.Required().boxes_milli), Milli(f.all.coded.boxes_milli),
          Milli(f.all.exempt.boxes_milli),     Milli(f.all.no_code_stock.boxes_milli),
          std::to_string(f.blocked.rows)};
}

const std::vector<std::string> kFigureHead = {"采集率(箱)",   "采集率(金额)", "结算率(箱)",
                                              "结算率(金额)", "应采箱数",     "有码箱数",
                                              "免采箱数",     "无码库箱数",   "拦截行"};

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A CSV field: quoted when needed; text that a spreadsheet would run as a formula gets a leading
// apostrophe (names come from reference data).
std::string CsvField(std::string_view s, bool text = false) {
  std::string v(s);
  if (text && !v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) {
    v = "'" + v;
  }
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Title(const CoverageReport& r) {
  return "药品追溯码采集率与结算率月报 " + FormatMonth(r.query.month) +
         (r.query.region.empty() ? "" : "（区划 " + r.query.region + "）");
}

std::string EmptyMessage(const CoverageReport& r) {
  return "本月无销售或退货记录 / no sales or sale returns recorded for " +
         FormatMonth(r.query.month) +
         (r.query.region.empty() ? "" : " in region " + r.query.region);
}

// Trend: collection and settlement rate (boxes) per month, 0..100 %.
std::string TrendSvg(const CoverageReport& r) {
  const int w = 640, h = 240, left = 48, right = 16, top = 16, bottom = 40;
  const int n = static_cast<int>(r.trend.size());
  auto x = [&](int i) { return left + (n <= 1 ? 0 : i * (w - left - right) / (n - 1)); };
  auto y = [&](double v) { return top + static_cast<int>((1.0 - v) * (h - top - bottom)); };
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << w << ' ' << h << "\" width=\""
    << w << "\" height=\"" << h << "\" role=\"img\" aria-label=\"采集率与结算率趋势\">";
  for (int p = 0; p <= 100; p += 25) {
    s << "<line x1=\"" << left << "\" x2=\"" << w - right << "\" y1=\"" << y(p / 100.0)
      << "\" y2=\"" << y(p / 100.0) << "\" class=\"grid\"/><text x=\"" << left - 6 << "\" y=\""
      << y(p / 100.0) + 4 << "\" text-anchor=\"end\">" << p << "%</text>";
  }
  for (int i = 0; i < n; ++i) {
    s << "<text x=\"" << x(i) << "\" y=\"" << h - bottom + 18 << "\" text-anchor=\"middle\">"
      << FormatMonth(r.trend[i].month) << "</text>";
  }
  auto series = [&](auto rate, const char* cls) {
    std::string pts;
    for (int i = 0; i < n; ++i) {
      if (auto v = rate(r.trend[i].figures)) {
        pts += std::to_string(x(i)) + "," + std::to_string(y(*v)) + " ";
        s << "<circle cx=\"" << x(i) << "\" cy=\"" << y(*v) << "\" r=\"3\" class=\"" << cls
          << "\"><title>" << FormatMonth(r.trend[i].month) << " " << Percent(*v)
          << "</title></circle>";
      }
    }
    if (!pts.empty()) s << "<polyline points=\"" << pts << "\" class=\"" << cls << "\"/>";
  };
  series([](const CoverageFigures& f) { return f.CollectionRateBoxes(); }, "s1");
  series([](const CoverageFigures& f) { return f.SettlementRateBoxes(); }, "s2");
  s << "</svg>";
  return s.str();
}

// Distribution: institutions by collection rate (boxes), ten 10-point bins.
std::string DistributionSvg(const CoverageReport& r) {
  int bins[10] = {0};
  int most = 1;
  for (const InstitutionCoverage& ic : r.institutions) {
    if (auto v = ic.figures.CollectionRateBoxes()) {
      int b = std::min(9, std::max(0, static_cast<int>(*v * 10.0)));
      most = std::max(most, ++bins[b]);
    }
  }
  const int w = 640, h = 220, left = 40, bottom = 40, top = 16;
  const int bw = (w - left - 16) / 10;
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << w << ' ' << h << "\" width=\""
    << w << "\" height=\"" << h << "\" role=\"img\" aria-label=\"机构采集率分布\">";
  for (int b = 0; b < 10; ++b) {
    const int bh = bins[b] * (h - top - bottom) / most;
    const int bx = left + b * bw;
    s << "<rect x=\"" << bx + 2 << "\" y=\"" << h - bottom - bh << "\" width=\"" << bw - 4
      << "\" height=\"" << bh << "\" class=\"bar\"><title>" << b * 10 << "–" << b * 10 + 10
      << "%: " << bins[b] << "</title></rect>";
    s << "<text x=\"" << bx + bw / 2 << "\" y=\"" << h - bottom - bh - 4
      << "\" text-anchor=\"middle\">" << bins[b] << "</text>";
    s << "<text x=\"" << bx + bw / 2 << "\" y=\"" << h - bottom + 16 << "\" text-anchor=\"middle\">"
      << b * 10 << "–" << b * 10 + 10 << "%</text>";
  }
  s << "</svg>";
  return s.str();
}

void HtmlFigureRow(std::ostringstream& s, const std::vector<std::string>& lead,
                   const CoverageFigures& f) {
  s << "<tr>";
  for (const auto& c : lead) s << "<td>" << Escape(c) << "</td>";
  for (const auto& c : FigureCells(f)) s << "<td class=\"n\">" << Escape(c) << "</td>";
  s << "</tr>\n";
}

void HtmlHead(std::ostringstream& s, const std::vector<std::string>& lead) {
  s << "<tr>";
  for (const auto& c : lead) s << "<th>" << Escape(c) << "</th>";
  for (const auto& c : kFigureHead) s << "<th>" << Escape(c) << "</th>";
  s << "</tr>\n";
}

}  // namespace

std::string CoverageTable(const CoverageReport& r) {
  std::string out = Title(r) + "  (ledger size " + std::to_string(r.ledger_size) + ")\n";
  if (r.empty()) return out + EmptyMessage(r) + "\n";
  Table t;
  t.head = {"机构编码", "机构名称", "类别"};
  t.head.insert(t.head.end(), kFigureHead.begin(), kFigureHead.end());
  for (const InstitutionCoverage& ic : r.institutions) {
    std::vector<std::string> row = {ic.code, ic.name.empty() ? "-" : ic.name,
                                    ic.klass.empty() ? "-" : ic.klass};
    for (auto& c : FigureCells(ic.figures)) row.push_back(std::move(c));
    t.rows.push_back(std::move(row));
  }
  std::vector<std::string> total = {"合计", std::to_string(r.institutions.size()) + " 家", ""};
  for (auto& c : FigureCells(r.total)) total.push_back(std::move(c));
  t.rows.push_back(std::move(total));
  out += "\n" + t.Render();
  auto rollup = [&](const char* title, const std::vector<RollUp>& v) {
    Table u;
    u.head = {title, "机构数", ""};
    u.head.insert(u.head.end(), kFigureHead.begin(), kFigureHead.end());
    for (const RollUp& x : v) {
      std::vector<std::string> row = {x.key, std::to_string(x.institutions), ""};
      for (auto& c : FigureCells(x.figures)) row.push_back(std::move(c));
      u.rows.push_back(std::move(row));
    }
    out += "\n" + u.Render();
  };
  rollup("按机构类别", r.by_class);
  rollup("按区划", r.by_region);
  out += "\n采集率最低的机构:\n";
  for (std::size_t i : r.lowest) {
    const InstitutionCoverage& ic = r.institutions[i];
    out += "  " + Pad(ic.code, 14) + Pad(ic.name, 24) + " " +
           Percent(ic.figures.CollectionRateBoxes()) + "\n";
  }
  out += "\n趋势 (采集率 / 结算率, 按箱):\n";
  for (const TrendPoint& p : r.trend) {
    out += "  " + FormatMonth(p.month) + "  " +
           Pad(Percent(p.figures.CollectionRateBoxes()), 7, true) + "  " +
           Pad(Percent(p.figures.SettlementRateBoxes()), 7, true) + "\n";
  }
  return out;
}

std::string CoverageCsv(const CoverageReport& r) {
  // A UTF-8 byte-order mark so that spreadsheet programs read the Chinese names correctly.
  std::string out = "\xEF\xBB\xBF";
  out +=
      "month,fixmedins_code,name,class,region,collection_rate_boxes,collection_rate_amount,"
      "settlement_rate_boxes,settlement_rate_amount,required_boxes,coded_boxes,missing_boxes,"
      "exempt_boxes,no_code_stock_boxes,unclassified_boxes,required_amount_yuan,"
      "coded_amount_yuan,insured_required_boxes,insured_coded_boxes,insured_required_amount_yuan,"
      "insured_coded_amount_yuan,sale_lines,return_lines,blocked_lines\r\n";
  for (const InstitutionCoverage& ic : r.institutions) {
    const CoverageFigures& f = ic.figures;
    const std::vector<std::string> cells = {FormatMonth(r.query.month),
                                            CsvField(ic.code, true),
                                            CsvField(ic.name, true),
                                            ic.klass,
                                            CsvField(ic.region, true),
                                            Ratio(f.CollectionRateBoxes()),
                                            Ratio(f.CollectionRateAmount()),
                                            Ratio(f.SettlementRateBoxes()),
                                            Ratio(f.SettlementRateAmount()),
                                            Milli(f.all.Required().boxes_milli),
                                            Milli(f.all.coded.boxes_milli),
                                            Milli(f.all.missing.boxes_milli),
                                            Milli(f.all.exempt.boxes_milli),
                                            Milli(f.all.no_code_stock.boxes_milli),
                                            Milli(f.all.unclassified.boxes_milli),
                                            Yuan(f.all.Required().amount_fen),
                                            Yuan(f.all.coded.amount_fen),
                                            Milli(f.insured.Required().boxes_milli),
                                            Milli(f.insured.coded.boxes_milli),
                                            Yuan(f.insured.Required().amount_fen),
                                            Yuan(f.insured.coded.amount_fen),
                                            std::to_string(f.sales.rows),
                                            std::to_string(f.returns.rows),
                                            std::to_string(f.blocked.rows)};
    for (std::size_t i = 0; i < cells.size(); ++i)
      out += cells[i] + (i + 1 < cells.size() ? "," : "\r\n");
  }
  return out;
}

std::string CoverageHtml(const CoverageReport& r) {
  std::ostringstream s;
  s << "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    << "<title>" << Escape(Title(r)) << "</title><style>\n"
    << "body{font-family:\"Noto Sans CJK SC\",\"PingFang SC\",\"Microsoft YaHei\",sans-serif;"
       "margin:2em auto;max-width:1200px;padding:0 1em;color:#222}\n"
       "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccc}\n"
       "table{border-collapse:collapse;font-size:.9em;width:100%}"
       "th,td{border:1px solid #ddd;padding:.3em .5em}th{background:#f3f3f3;text-align:left}"
       "td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
       ".cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ccc;border-radius:6px;"
       "padding:.6em 1em;min-width:9em}.card b{display:block;font-size:1.6em}\n"
       "svg text{font-size:11px;fill:#444}.grid{stroke:#e5e5e5}polyline{fill:none;stroke-width:2}"
       "polyline.s1{stroke:#1f6fb2}polyline.s2{stroke:#c0392b}circle.s1{fill:#1f6fb2}"
       "circle.s2{fill:#c0392b}.bar{fill:#1f6fb2}.key1{color:#1f6fb2}.key2{color:#c0392b}\n"
       ".note{color:#666;font-size:.85em}\n</style></head><body>\n";
  s << "<h1>" << Escape(Title(r)) << "</h1>\n<p class=\"note\">账本条目数 " << r.ledger_size
    << "。定义见 docs/reports.md：采集率 = 有码箱数 ÷ 应采箱数（应采 = 需赋码药品的销售，"
       "不含免采、无码库与被拦截的行，退货冲减）；结算率为医保结算部分的同一比例。</p>\n";
  if (r.empty()) {
    s << "<p><strong>" << Escape(EmptyMessage(r)) << "</strong></p>\n</body></html>\n";
    return s.str();
  }
  s << "<div class=\"cards\">";
  const std::pair<const char*, std::optional<double>> cards[] = {
      {"采集率（按箱）", r.total.CollectionRateBoxes()},
      {"采集率（按金额）", r.total.CollectionRateAmount()},
      {"结算率（按箱）", r.total.SettlementRateBoxes()},
      {"结算率（按金额）", r.total.SettlementRateAmount()}};
  for (const auto& [label, v] : cards) {
    s << "<div class=\"card\">" << label << "<b>" << Percent(v) << "</b></div>";
  }
  s << "<div class=\"card\">无码库销售（箱）<b>" << Milli(r.total.all.no_code_stock.boxes_milli)
    << "</b></div><div class=\"card\">免采销售（箱）<b>" << Milli(r.total.all.exempt.boxes_milli)
    << "</b></div></div>\n";
  s << "<h2>趋势（<span class=\"key1\">■ 采集率</span> <span class=\"key2\">■ "
       "结算率</span>，按箱）</h2>\n"
    << TrendSvg(r) << "\n<h2>机构采集率分布（按箱）</h2>\n"
    << DistributionSvg(r) << "\n";
  s << "<h2>采集率最低的机构</h2>\n<table>";
  HtmlHead(s, {"机构编码", "机构名称", "类别"});
  for (std::size_t i : r.lowest) {
    const InstitutionCoverage& ic = r.institutions[i];
    HtmlFigureRow(s, {ic.code, ic.name, ic.klass}, ic.figures);
  }
  s << "</table>\n<h2>按机构类别</h2>\n<table>";
  HtmlHead(s, {"类别", "机构数"});
  for (const RollUp& u : r.by_class)
    HtmlFigureRow(s, {u.key, std::to_string(u.institutions)}, u.figures);
  s << "</table>\n<h2>按区划</h2>\n<table>";
  HtmlHead(s, {"区划", "机构数"});
  for (const RollUp& u : r.by_region)
    HtmlFigureRow(s, {u.key, std::to_string(u.institutions)}, u.figures);
  s << "</table>\n<h2>各机构</h2>\n<table>";
  HtmlHead(s, {"机构编码", "机构名称", "类别"});
  for (const InstitutionCoverage& ic : r.institutions) {
    HtmlFigureRow(s, {ic.code, ic.name, ic.klass}, ic.figures);
  }
  HtmlFigureRow(s, {"合计", std::to_string(r.institutions.size()) + " 家", ""}, r.total);
  s << "</table>\n</body></html>\n";
  return s.str();
}

}  // namespace ingest
