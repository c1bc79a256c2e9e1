// The monthly code-coverage report (采集率 / 结算率), aggregated from row_facts. Definitions and
// formulas: docs/reports.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ingest/json.h"
#include "ledger/regulator_store.h"
#include "ledger/status.h"
#include "validator/refdata.h"

namespace ingest {

// Boxes (thousandths) and amount (fen) of one class of rows, net of returns.
struct Measure {
  std::int64_t rows = 0;
  std::int64_t boxes_milli = 0;
  std::int64_t amount_fen = 0;
  void Add(const Measure& m) {
    rows += m.rows;
    boxes_milli += m.boxes_milli;
    amount_fen += m.amount_fen;
  }
};

// One institution's (or a roll-up's) figures for a month.
struct CoverageFigures {
  // All settlement types / insurance-settled only (结算率).
  struct Split {
    Measure coded, missing, exempt, no_code_stock, unclassified;
    Measure Required() const {
      Measure m = coded;
      m.Add(missing);
      return m;
    }
    void Add(const Split& s);
  };
  Split all, insured;
  Measure sales, returns;  // gross, not blocked (returns counted positive here)
  Measure blocked;         // blocked sale lines: not payable, outside every rate
  void Add(const CoverageFigures& f);

  // nullopt when nothing was code-required.
  std::optional<double> CollectionRateBoxes() const;
  std::optional<double> CollectionRateAmount() const;
  std::optional<double> SettlementRateBoxes() const;
  std::optional<double> SettlementRateAmount() const;
};

struct InstitutionCoverage {
  std::string code;
  std::string name;   // "" when not in the reference data
  std::string klass;  // InstitutionClassName, "" when unknown
  std::string region;
  CoverageFigures figures;
};

struct RollUp {
  std::string key;  // class name or region code
  std::size_t institutions = 0;
  CoverageFigures figures;
};

struct TrendPoint {
  int month = 0;  // YYYYMM
  CoverageFigures figures;
};

struct CoverageQuery {
  int month = 0;       // YYYYMM
  std::string region;  // "" = every region (RegionContains)
  int trend_months = 6;
  std::size_t lowest = 10;
};

struct CoverageReport {
  CoverageQuery query;
  std::uint64_t ledger_size = 0;
  std::vector<InstitutionCoverage> institutions;  // by code
  std::vector<RollUp> by_class, by_region;
  CoverageFigures total;
  std::vector<std::size_t> lowest;  // indexes into `institutions`, lowest 采集率 (boxes) first
  std::vector<TrendPoint> trend;    // oldest first, ending with `month`
  // No sale, return or blocked line in scope for the month.
  bool empty() const;
};

// Aggregates months [month - trend_months + 1, month] in one query.
ledger::Result<CoverageReport> BuildCoverage(ledger::RegulatorStore& store,
                                             const validator::RefData& ref,
                                             std::uint64_t ledger_size, const CoverageQuery& q);

Json CoverageJson(const CoverageReport& r);
std::string CoverageCsv(const CoverageReport& r);
std::string CoverageTable(const CoverageReport& r);
// One self-contained HTML file: inline CSS and SVG, no script, no external resource.
std::string CoverageHtml(const CoverageReport& r);

}  // namespace ingest
