// Messages for scanned strings that are not usable pack codes (CODE_MALFORMED,
// PRODUCT_BARCODE_AS_CODE): the Chinese text says what the pharmacist can do at the counter; the
// parser's exact reason and position follow for whoever debugs the scanner.
#include "gs1.h"
#include "judge.h"

namespace validator::internal {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && detail::IsTrimmable(s.front())) s.remove_prefix(1);
  while (!s.empty() && detail::IsTrimmable(s.back())) s.remove_suffix(1);
  return s;
}

// A plain-language hint for the commonest scanning mistakes; empty when none applies.
std::string HintZh(std::string_view t) {
  bool digits = !t.empty(), non_ascii = false, space = false;
  for (char c : t) {
    digits = digits && c >= '0' && c <= '9';
    non_ascii = non_ascii || static_cast<unsigned char>(c) >= 0x80;
    space = space || c == ' ';
  }
  if (non_ascii) return "码中有全角或中文字符，请把输入法切换为半角英文后重新扫码";
  if (space) return "码中有空格，请直接扫码，不要手工录入";
  if (digits && t.size() == 20) return "20 位的药品追溯码应以 8 开头，请核对是否扫错了条码";
  if (digits && t.size() == 13) return "13 位商品条码的校验位不对，且商品条码不是追溯码";
  if (digits) {
    return "共 " + std::to_string(t.size()) +
           " 位数字，码上放心追溯码为 20 位，可能扫漏或扫错了条码";
  }
  return {};
}

}  // namespace

void UnusableCodeMessages(std::string_view raw, const ParsedCode& parsed, std::string& zh,
                          std::string& en) {
  if (parsed.kind == CodeKind::kGs1) {
    zh = "该码是药品的 GS1 商品码（GTIN " + parsed.product +
         "），没有序列号（AI 21），只能识别药品品种、不能识别到每一盒，不能作为追溯码；请扫描盒上"
         "带序列号的追溯码。";
    en = "This GS1 code (GTIN " + parsed.product +
         ") has no serial number (AI 21): it identifies the product, not this box, so it is not "
         "a traceability code. Scan the box's full code.";
    return;
  }
  if (parsed.kind == CodeKind::kIso15459) {
    zh = "该 MA 码（" + parsed.product +
         "）没有序列号（.S 段），只能识别药品品种、不能识别到每一盒，不能作为追溯码；请扫描盒上"
         "带序列号的追溯码。";
    en = "This MA code (" + parsed.product +
         ") has no serial data unit (.S): it identifies the product, not this box, so it is not a "
         "traceability code. Scan the box's full code.";
    return;
  }
  const std::string at = std::to_string(parsed.position + 1);
  const std::string hint = HintZh(Trim(raw));
  zh = "追溯码无法识别（第 " + at + " 位起有误）" + (hint.empty() ? "" : "：" + hint) +
       "。请重新扫码。（" + parsed.reason + "）";
  en = "Malformed traceability code at character " + at + ": " + parsed.reason + ".";
}

}  // namespace validator::internal
