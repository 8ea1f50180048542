import BundleBuilder
import HadoopConfig
import OCISpec
import RuntimeBase
import Testing
import YarnContract

/// Kata's configuration.toml as the preflight reads it: the strict TOML subset, the keys that matter, the checks.
@Suite struct KataConfigTests {
    /// Shaped like the hypervisor and runtime tables of a Kata 3.x configuration.toml (written for this test).
    static let shippedShape = #"""
    # Copyright header and a long comment, as Kata's files start
    [hypervisor.qemu]
    path = "/opt/kata/bin/qemu-system-x86_64"
    kernel = "/opt/kata/share/kata-containers/vmlinux.container"
    machine_type = "q35"
    kernel_params = ""   # trailing comment
    firmware = ''
    # List of valid annotation names for the hypervisor
    enable_annotations = ["enable_iommu", "virtio_fs_extra_args", "kernel_params"]
    valid_hypervisor_paths = [
        "/opt/kata/bin/qemu-system-x86_64",   # one per line,
    ]
    default_vcpus = 1
    default_maxvcpus = 0
    default_memory = 2048
    default_maxmemory = 16_384
    memory_offset = 0
    shared_fs = "virtio-fs"
    virtio_fs_extra_args = ["--thread-pool-size=1", "-o", "announce_submounts"]
    virtio_fs_cache = "auto"
    block_device_driver = "virtio-scsi"
    disable_block_device_use = false
    entropy_source = "/dev/urandom"
    guest_hook_path = ""
    rootless = false

    [factory]

    [agent.kata]
    dial_timeout = 45
    kernel_modules=[]

    [runtime]
    internetworking_model="tcfilter"
    disable_guest_seccomp=true
    sandbox_cgroup_only=false
    static_sandbox_resource_mgmt=false
    experimental=[]
    """#

    static func needs(memory: UInt64 = 1280, vcpus: UInt32 = 1, hostCPUs: Int = 16, hostMemory: UInt64 = 65536,
                      devices: [String: Bool] = ["/dev/kvm": true, "/dev/vhost-vsock": true]) -> KataNeeds {
        KataNeeds(annotations: BundlePlanner.kataHypervisorAnnotations, vmMemoryMiB: memory, vcpus: vcpus, seccomp: true,
                  hostCPUs: hostCPUs, hostMemoryMiB: hostMemory, devices: devices)
    }

    @Test("TOML subset: tables, comments, strings, numbers, booleans, multi-line arrays")
    func toml() throws {
        let doc = try TOMLDocument(parsing: Self.shippedShape, origin: "c.toml")
        #expect(doc.value("path", in: "hypervisor.qemu") == .string("/opt/kata/bin/qemu-system-x86_64"))
        #expect(doc.value("kernel_params", in: "hypervisor.qemu") == .string(""))
        #expect(doc.value("firmware", in: "hypervisor.qemu") == .string(""))
        #expect(doc.value("default_maxmemory", in: "hypervisor.qemu") == .integer(16384))
        #expect(doc.value("valid_hypervisor_paths", in: "hypervisor.qemu") == .array([.string("/opt/kata/bin/qemu-system-x86_64")]))
        #expect(doc.value("kernel_modules", in: "agent.kata") == .array([]))
        #expect(doc.value("disable_guest_seccomp", in: "runtime") == .bool(true))
        #expect(doc.tables["factory"] == [:])
        let escapes = try TOMLDocument(parsing: "a = \"x\\\"y\\\\z\\n\\u00e9\"\nb = 0.5\nc = -3\nd = 1e3\n", origin: "e")
        #expect(escapes.value("a", in: "") == .string("x\"y\\z\né"))
        #expect(escapes.value("b", in: "") == .float(0.5) && escapes.value("c", in: "") == .integer(-3) && escapes.value("d", in: "") == .float(1000))
    }

    @Test("TOML subset: everything outside it is an error naming the line", arguments: [
        ("a = {x = 1}", "inline tables"), ("[[a]]", "arrays of tables"), ("a = 1\na = 2", ":2: a set twice"),
        ("[t]\n[t]", "defined twice"), ("a.b = 1", "dotted keys"), ("a = \"\"\"x\"\"\"", "multi-line"),
        ("a = \"x", "unterminated"), ("a = 1 2", "unexpected 2"), ("a = 1979-05-27", "unsupported value"),
        ("\"q\" = 1", "quoted keys"), ("a = [1, 2", "unterminated array"), ("a = \"\\q\"", "unknown escape"), ("a =", "missing value"),
    ])
    func tomlErrors(input: String, message: String) {
        #expect { try TOMLDocument(parsing: input, origin: "bad.toml") } throws: {
            ($0 as? RuntimeError)?.code == .invalidConfigFile && "\($0)".contains("bad.toml:") && "\($0)".contains(message)
        }
    }

    @Test("the shipped excerpt passes every check for a 20 GiB container on a 64 GiB, 16-CPU KVM host")
    func shippedExcerpt() throws {
        let config = try KataRuntimeConfig(parsing: try Fixtures.repositoryText("hadoop-conf/kata-configuration.toml.excerpt"), path: "excerpt")
        #expect(config.hypervisor == "qemu" && config.staticSandboxResourceManagement && !config.disableGuestSeccomp)
        for key in BundlePlanner.kataHypervisorAnnotations { #expect(config.enables(annotation: key), "\(key)") }
        #expect(KataPreflight.problems(config, Self.needs(memory: 20480 + 256, vcpus: 2)) == [])
    }

    @Test("Kata's own defaults: every finding is reported, with the reason")
    func kataDefaults() throws {
        let config = try KataRuntimeConfig(parsing: Self.shippedShape, path: "/etc/kata-containers/configuration.toml")
        let problems = KataPreflight.problems(config, Self.needs(memory: 20480 + 256, vcpus: 32, devices: ["/dev/kvm": true]))
        #expect(problems.count == 6, "\(problems)")
        #expect(problems[0].contains("does not enable default_memory, default_vcpus, shared_fs, virtio_fs_cache"))
        #expect(problems[1].contains("static_sandbox_resource_mgmt is not true"))
        #expect(problems[2].contains("a 20736 MiB VM") && problems[2].contains("default_maxmemory (16384 MiB effective)"))
        #expect(problems[3].contains("32 vCPUs exceed this host's 16 CPUs"))
        #expect(problems[4].contains("disable_guest_seccomp is true"))
        #expect(problems[5].contains("/dev/vhost-vsock is missing"))
    }

    @Test("enable_annotations entries are unanchored regular expressions, as Kata matches them")
    func annotationPatterns() throws {
        func config(_ list: String) throws -> KataRuntimeConfig {
            try KataRuntimeConfig(parsing: "[hypervisor.clh]\nenable_annotations = \(list)\n", path: "p")
        }
        let prefix = KataRuntimeConfig.hypervisorAnnotationPrefix
        #expect(try config("[\".*\"]").enables(annotation: prefix + "shared_fs"))
        #expect(try config("[\"default_.*\"]").enables(annotation: prefix + "default_vcpus"))
        #expect(try !config("[\"default_.*\"]").enables(annotation: prefix + "shared_fs"))
        #expect(try config("[\"memory\"]").enables(annotation: prefix + "default_memory"), "unanchored, like Go's regexp.MatchString")
        #expect(try !config("[\"(\"]").enables(annotation: prefix + "default_memory"), "a pattern that does not compile matches nothing")
        #expect(try config("[]").enables(annotation: "io.kubernetes.cri.container-type"), "only the hypervisor prefix is checked")
    }

    @Test("default_maxmemory 0 or above host memory means host memory; clh needs no vhost-vsock")
    func limits() throws {
        let zero = try KataRuntimeConfig(parsing: "[hypervisor.clh]\nenable_annotations=[\".*\"]\ndefault_maxmemory=0\n[runtime]\nstatic_sandbox_resource_mgmt=true\n", path: "p")
        #expect(KataPreflight.problems(zero, Self.needs(memory: 60000, devices: ["/dev/kvm": true])) == [])
        #expect(KataPreflight.problems(zero, Self.needs(memory: 70000, devices: ["/dev/kvm": true])).first?.contains("65536 MiB effective") == true)
        let huge = try KataRuntimeConfig(parsing: "[hypervisor.qemu]\nenable_annotations=[\".*\"]\ndefault_maxmemory=999999\n[runtime]\nstatic_sandbox_resource_mgmt=true\n", path: "p")
        #expect(KataPreflight.problems(huge, Self.needs(memory: 70000)).first?.contains("65536 MiB effective") == true)
        #expect(KataPreflight.problems(huge, Self.needs(devices: [:])) == ["/dev/kvm is missing: this host cannot run qemu Kata VMs",
                                                                         "/dev/vhost-vsock is missing: this host cannot run qemu Kata VMs"])
    }

    @Test("wrong shapes are configuration errors, not defaults")
    func shapes() {
        for text in ["[runtime]\n", "[hypervisor.qemu]\n[hypervisor.clh]\n", "[hypervisor.qemu]\nenable_annotations = \"default_vcpus\"\n",
                     "[hypervisor.qemu]\n[runtime]\nstatic_sandbox_resource_mgmt = \"true\"\n"] {
            #expect(throws: RuntimeError.self, "\(text)") { try KataRuntimeConfig(parsing: text, path: "p") }
        }
    }

    @Test("every Kata hypervisor annotation a planned bundle sets is in the list --checksetup checks")
    func plannerAnnotations() throws {
        let plan = try BundlePlanner.plan(try GoldenBundleTests.request(), config: KataSection(), host: try GoldenBundleTests.facts(),
                                          runtime: "kata", bundleDirectory: try AbsolutePath("/run/k/b"))
        let keys = plan.spec.annotations.keys.filter { $0.hasPrefix(KataRuntimeConfig.hypervisorAnnotationPrefix) }.sorted()
        #expect(keys == BundlePlanner.kataHypervisorAnnotations.sorted())
    }
}
