import BundleBuilder
import HadoopConfig
import RuntimeBase
import Testing
import YarnContract

/// `rw-mounts` with a `{user}` component: each tenant's sandbox gets its own directory of a shared tree, never
/// another tenant's. (The launcher also checks that the directory is the user's: test_per_tenant_mounts.py.)
@Suite struct PerTenantMountTests {
    static func section(_ mounts: String) throws -> KataSection {
        try ExecutorConfig(parsing: "yarn.nodemanager.linux-container-executor.group=hadoop\n[kata]\n  rw-mounts=\(mounts)\n").kata
    }

    @Test("{user} expands per run-as user; entries without it are shared")
    func expansion() throws {
        let kata = try Self.section("/srv/staging/{user},/srv/shared,/data/{user}/spark")
        #expect(kata.readWriteMounts(for: "alice").own == ["/srv/staging/alice", "/data/alice/spark"])
        #expect(kata.readWriteMounts(for: "alice").shared == ["/srv/shared"])
        #expect(KataSection.userMountPath("/srv/shared", user: "bob") == nil)
    }

    @Test("a placeholder anywhere else is a config error (24)", arguments: ["/srv/x{user}", "/srv/{other}", "/srv/{user}x/y"])
    func refused(entry: String) throws {
        let error = #expect(throws: RuntimeError.self) { try Self.section(entry) }
        #expect(error?.code == .invalidConfigFile)
    }

    @Test("ro-mounts may not hold a placeholder")
    func readOnlyRefused() throws {
        #expect(throws: RuntimeError.self) {
            try ExecutorConfig(parsing: "yarn.nodemanager.linux-container-executor.group=hadoop\n[kata]\n  ro-mounts=/srv/{user}\n")
        }
    }

    @Test("the bundle binds alice's directory for alice, and bob's never")
    func bundle() throws {
        let config = try Self.section("/srv/staging/{user}")
        var facts = try GoldenBundleTests.facts()
        facts.existingPaths.insert(try AbsolutePath("/srv/staging/alice"))
        facts.existingPaths.insert(try AbsolutePath("/srv/staging/bob"))
        let bundle = try AbsolutePath("/run/kata-yarn-runtime/containers/c/bundle")
        let spec = try BundlePlanner.plan(try GoldenBundleTests.request(), config: config, host: facts, runtime: "runc",
                                          bundleDirectory: bundle).spec.encoded()
        #expect(spec.contains("\"/srv/staging/alice\""))
        #expect(!spec.contains("/srv/staging/bob"))
    }
}
