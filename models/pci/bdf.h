// PCI bus/device/function, written the way ACRN's scenario files write a VBDF ("00:08.0").
#pragma once

#include <optional>
#include <string>

#include "models/core/types.h"

namespace ivsim::pci {

struct Bdf {
  u8 bus = 0;
  u8 dev = 0;  // 0..31
  u8 fn = 0;   // 0..7

  u16 value() const { return static_cast<u16>((bus << 8) | (dev << 3) | fn); }
  static Bdf from_value(u16 v) {
    return Bdf{static_cast<u8>(v >> 8), static_cast<u8>((v >> 3) & 0x1F), static_cast<u8>(v & 7)};
  }
  // "BB:DD.F" in hex, as ACRN's VBDF pattern [0-9A-Fa-f]{1,2}:[0-1][0-9A-Fa-f]\.[0-7].
  static std::optional<Bdf> parse(const std::string& text);
  std::string to_string() const;  // "00:08.0"

  friend bool operator==(Bdf a, Bdf b) { return a.value() == b.value(); }
  friend bool operator!=(Bdf a, Bdf b) { return !(a == b); }
  friend bool operator<(Bdf a, Bdf b) { return a.value() < b.value(); }
};

}  // namespace ivsim::pci
