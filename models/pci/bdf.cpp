#include "models/pci/bdf.h"

#include <cstdio>

namespace ivsim::pci {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// Accepts exactly ACRN's VBDF pattern [0-9A-Fa-f]{1,2}:[0-1][0-9A-Fa-f]\.[0-7]
// (misc/config_tools/schema/types.xsd, VBDFType): a one- or two-digit bus, a
// two-digit device whose first digit is 0 or 1 (so dev <= 0x1F), a one-digit
// function. No surrounding whitespace, no "0x".
std::optional<Bdf> Bdf::parse(const std::string& text) {
  const std::size_t colon = text.find(':');
  if (colon != 1 && colon != 2) return std::nullopt;
  if (text.size() != colon + 5 || text[colon + 3] != '.') return std::nullopt;

  unsigned bus = 0;
  for (std::size_t i = 0; i < colon; ++i) {
    const int d = hex_digit(text[i]);
    if (d < 0) return std::nullopt;
    bus = bus * 16 + static_cast<unsigned>(d);
  }
  const int dev_hi = hex_digit(text[colon + 1]);
  const int dev_lo = hex_digit(text[colon + 2]);
  if (dev_hi < 0 || dev_hi > 1 || dev_lo < 0) return std::nullopt;
  const char fn = text[colon + 4];
  if (fn < '0' || fn > '7') return std::nullopt;

  return Bdf{static_cast<u8>(bus), static_cast<u8>(dev_hi * 16 + dev_lo), static_cast<u8>(fn - '0')};
}

std::string Bdf::to_string() const {
  char buf[8];  // "bb:dd.f" + NUL
  std::snprintf(buf, sizeof buf, "%02x:%02x.%x", static_cast<unsigned>(bus), static_cast<unsigned>(dev & 0x1F),
                static_cast<unsigned>(fn & 7));
  return buf;
}

}  // namespace ivsim::pci
