import BundleBuilder
import LinuxSystem
@testable import RuntimeCore
import Testing

/// The built-in seccomp profile is not compiled on every launch (SeccompLoader.load): it is compiled here, with
/// the real libseccomp on this kernel, as every runtime gets it.
@Suite struct SeccompCompileTests {
    @Test("the built-in default profile compiles for every runtime's adaptation", arguments: ["runc", "runsc", "kata", "shim:runc"])
    func builtInDefault(runtime: String) throws {
        let compiled = try SeccompLoader.compile(OCISeccomp.yarnDefault.adapted(for: runtime), system: LiveSystem())
        #expect(compiled.instructions > 100, "\(compiled.instructions) BPF instructions")
    }
}
