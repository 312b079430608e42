// Model-specific register numbers (Intel SDM Vol. 4), named as ACRN's
// hypervisor/include/arch/x86/asm/msr.h names them. The x2APIC ones are in
// apic_registers.h.
#pragma once

#include "models/core/types.h"

namespace ivsim::msr {

constexpr u32 kTimeStampCounter = 0x10;  // MSR_IA32_TIME_STAMP_COUNTER
constexpr u32 kTestCtl = 0x33;           // MSR_TEST_CTL
constexpr u32 kApicBase = 0x1B;          // MSR_IA32_APIC_BASE
constexpr u32 kFeatureControl = 0x3A;    // MSR_IA32_FEATURE_CONTROL
constexpr u32 kTscAdjust = 0x3B;         // MSR_IA32_TSC_ADJUST
constexpr u32 kBiosUpdtTrig = 0x79;
constexpr u32 kBiosSignId = 0x8B;
constexpr u32 kSgxLePubKeyHash0 = 0x8C;  // ... 0x8F
constexpr u32 kSmmMonitorCtl = 0x9B;
constexpr u32 kSmbase = 0x9E;
constexpr u32 kPmc0 = 0xC1;  // ... 0xC8
constexpr u32 kPlatformInfo = 0xCE;
constexpr u32 kUmwaitControl = 0xE1;
constexpr u32 kMperf = 0xE7, kAperf = 0xE8;
constexpr u32 kMtrrCap = 0xFE;
constexpr u32 kMcgCap = 0x179, kMcgStatus = 0x17A, kMcgCtl = 0x17B;
constexpr u32 kPerfEvtSel0 = 0x186;  // ... 0x189
constexpr u32 kPerfStatus = 0x198, kPerfCtl = 0x199;
constexpr u32 kClockModulation = 0x19A, kThermInterrupt = 0x19B, kThermStatus = 0x19C;
constexpr u32 kMiscEnable = 0x1A0;
constexpr u32 kPackageThermStatus = 0x1B1, kPackageThermInterrupt = 0x1B2;
constexpr u32 kSmrrPhysBase = 0x1F2, kSmrrPhysMask = 0x1F3;
constexpr u32 kPrmrrPhysBase = 0x1F4, kPrmrrPhysMask = 0x1F5, kPrmrrValidConfig = 0x1FB;
constexpr u32 kMtrrPhysBase0 = 0x200;  // PHYSBASE_n 0x200 + 2n, PHYSMASK_n 0x201 + 2n, n < 10
constexpr u32 kMtrrFix64k00000 = 0x250, kMtrrFix16k80000 = 0x258, kMtrrFix16kA0000 = 0x259;
constexpr u32 kMtrrFix4kC0000 = 0x268;  // ... 0x26F (F8000)
constexpr u32 kPat = 0x277;
constexpr u32 kUncorePrmrrPhysBase = 0x2F4, kUncorePrmrrPhysMask = 0x2F5;
constexpr u32 kMtrrDefType = 0x2FF;
constexpr u32 kSgxOwnerEpoch0 = 0x300, kSgxOwnerEpoch1 = 0x301;
constexpr u32 kFixedCtr0 = 0x309;  // ... 0x30B
constexpr u32 kPerfCapabilities = 0x345;
constexpr u32 kFixedCtrCtl = 0x38D;                           // PERF_GLOBAL_STATUS 0x38E, _CTRL 0x38F, _OVF_CTRL 0x390,
constexpr u32 kPerfGlobalInuse = 0x392;                       // _STATUS_SET 0x391, _INUSE 0x392
constexpr u32 kVmxBasic = 0x480, kVmxProcbasedCtls3 = 0x492;  // LIST_OF_VMX_MSRS, with SMBASE
constexpr u32 kAPmc0 = 0x4C1;                                 // ... 0x4C8
constexpr u32 kMcgExtCtl = 0x4D0;
constexpr u32 kSgxSvnStatus = 0x500;
constexpr u32 kRtitOutputBase = 0x560, kRtitOutputMaskPtrs = 0x561;
constexpr u32 kRtitCtl = 0x570, kRtitStatus = 0x571, kRtitCr3Match = 0x572;
constexpr u32 kRtitAddr0A = 0x580;  // ... 0x587 (ADDR3_B)
constexpr u32 kDsArea = 0x600;
constexpr u32 kUCet = 0x6A0, kSCet = 0x6A2, kPl0Ssp = 0x6A4, kInterruptSspTableAddr = 0x6A8;  // PL0-3_SSP 0x6A4-7
constexpr u32 kTscDeadline = 0x6E0;
constexpr u32 kPmEnable = 0x770, kHwpCapabilities = 0x771, kHwpRequestPkg = 0x772, kHwpInterrupt = 0x773;
constexpr u32 kHwpRequest = 0x774, kHwpCtl = 0x776, kHwpStatus = 0x777;
constexpr u32 kCopyStatus = 0x990, kIwkeyBackupStatus = 0x991;
constexpr u32 kDebugInterface = 0xC80;
constexpr u32 kL3QosCfg = 0xC81, kL2QosCfg = 0xC82;
constexpr u32 kQmEvtSel = 0xC8D, kQmCtr = 0xC8E, kPqrAssoc = 0xC8F;
constexpr u32 kL3MaskBase = 0xC90, kL2MaskBase = 0xD10;
constexpr u32 kBndcfgs = 0xD90;
constexpr u32 kCopyLocalToPlatform = 0xD91, kCopyPlatformToLocal = 0xD92;
constexpr u32 kXss = 0xDA0;
constexpr u32 kHwFeedbackPtr = 0x17D0, kHwFeedbackConfig = 0x17D1, kThreadFeedbackChar = 0x17D2;
constexpr u32 kHwFeedbackThreadConfig = 0x17D4;
constexpr u32 kEfer = 0xC000'0080u;

// Hyper-V's synthetic MSRs (HV_X64_MSR_*, asm/guest/hyperv.h), outside the
// MSR bitmap's ranges: every access exits.
constexpr u32 kHvGuestOsId = 0x4000'0000u, kHvHypercall = 0x4000'0001u, kHvVpIndex = 0x4000'0002u;
constexpr u32 kHvTimeRefCount = 0x4000'0020u, kHvReferenceTsc = 0x4000'0021u;
constexpr u32 kHvTscFrequency = 0x4000'0022u, kHvApicFrequency = 0x4000'0023u;

}  // namespace ivsim::msr
