// std::ios_base_library_init(): the one GLIBCXX_3.4.32 symbol TorchSharp 0.107's libLibTorchSharp.so
// needs (GCC 13's <iostream> calls it instead of a static ios_base::Init). On an older libstdc++
// (Debian 12: 3.4.30) the build weakens that version need and compiles this file; TorchRuntime loads
// it RTLD_GLOBAL first. Initialising the standard streams is all the real function does.
#include <ios>

namespace std
{
    void ios_base_library_init() { static std::ios_base::Init init; }
}
