import BundleBuilder
import Foundation
import HadoopConfig
import NetworkPlanner
import RuntimeBase
import StrictJSON
import Testing
import YarnContract

/// Routed networking's pure parts: addresses and ranges, allocation, modes, the ip/nft scripts, the record.
@Suite struct NetworkPlanTests {
    static let cid = "container_1795555676958_0001_01_000002"

    static func settings(_ extra: String = "") throws -> NetworkSettings {
        try ExecutorConfig(parsing: """
        yarn.nodemanager.linux-container-executor.group=hadoop
        [kata]
          network.range=10.244.1.0/24
          network.cluster=10.244.0.0/16
          network.allow=10.200.0.0/30:13562,10.0.0.53:53,192.0.2.10
        \(extra)
        """).kata.networking
    }

    static func plan(_ address: String = "10.244.1.2", cid: String = cid) throws -> ContainerNetworkPlan {
        ContainerNetworkPlan(containerId: try ContainerId(cid), address: IPv4Address(address)!, gateway: IPv4Address("169.254.1.1")!,
                             namespacePath: "/run/kata-yarn-runtime/netns/\(cid)", hostname: "c-1795555676958-0001-01-000002")
    }

    @Test("dotted quads and CIDR blocks parse strictly", arguments: [
        ("10.244.1.0/24", true), ("10.244.1.7", true), ("0.0.0.0/0", true), ("10.244.1.1/24", false), ("10.244.01.0/24", false),
        ("10.244.1/24", false), ("10.244.1.0/33", false), ("256.1.1.0/24", false), ("10.244.1.0/", false), (" 10.0.0.0/8", false),
    ])
    func cidr(_ text: String, _ valid: Bool) {
        #expect((IPv4Network(text) != nil) == valid, "\(text)")
    }

    @Test("ranges: size, last address, containment")
    func ranges() {
        let net = IPv4Network("10.244.1.0/24")!
        #expect(net.size == 256 && net.last.description == "10.244.1.255")
        #expect(net.contains(IPv4Address("10.244.1.77")!) && !net.contains(IPv4Address("10.244.2.1")!))
        #expect(IPv4Network("10.244.0.0/16")!.contains(net) && !net.contains(IPv4Network("10.244.0.0/16")!))
        #expect(NetworkEndpoint("10.0.0.0/8:9866")?.port == 9866 && NetworkEndpoint("10.0.0.5")?.port == nil)
        #expect(NetworkEndpoint("10.0.0.5:0") == nil && NetworkEndpoint("10.0.0.5:70000") == nil && NetworkEndpoint("10.0.0.5:08") == nil)
    }

    @Test("allocation: lowest free, never network, broadcast or gateway; nil when full")
    func allocation() {
        let range = IPv4Network("10.244.1.0/29")!   // .1 ... .6 usable
        let gateway = IPv4Address("10.244.1.1")!
        #expect(AddressAllocator.allocate(in: range, used: [], gateway: gateway)?.description == "10.244.1.2")
        let used: Set = [IPv4Address("10.244.1.2")!, IPv4Address("10.244.1.4")!]
        #expect(AddressAllocator.allocate(in: range, used: used, gateway: gateway)?.description == "10.244.1.3")
        let full = Set((2...6).map { IPv4Address(0x0AF4_0100 + UInt32($0)) })
        #expect(AddressAllocator.allocate(in: range, used: full, gateway: gateway) == nil)
        #expect(AddressAllocator.capacity(of: IPv4Network("10.244.1.0/24")!) == 254)
    }

    @Test("allocation fills a /24 with 254 distinct addresses")
    func allocationExhausts() {
        let range = IPv4Network("10.244.9.0/24")!
        var used = Set<IPv4Address>()
        while let next = AddressAllocator.allocate(in: range, used: used, gateway: IPv4Address("169.254.1.1")!) {
            #expect(range.contains(next) && !used.contains(next))
            used.insert(next)
        }
        #expect(used.count == 254)
    }

    @Test("config: bad routed keys are config errors", arguments: [
        "network=routed", "network.range=10.244.1.0/8", "network.range=10.0.0.0/12",
        "network.range=10.244.1.0/24\n  network.gateway=10.244.1.1", "network.range=10.244.1.0/24\n  network.cluster=10.245.0.0/16",
        "network.allow=10.0.0.1:x", "network=bridge", "network.node-ports=0", "network.allowed=host,bridge", "network.runsc=gvisor",
    ])
    func configErrors(_ line: String) {
        let text = "yarn.nodemanager.linux-container-executor.group=hadoop\n[kata]\n  \(line)\n"
        do { _ = try ExecutorConfig(parsing: text); Issue.record("accepted \(line)") } catch { #expect(error.code == .invalidConfigFile) }
    }

    @Test("config: defaults and parsed values")
    func configValues() throws {
        let settings = try Self.settings("  network.runsc=host")
        #expect(settings.range == IPv4Network("10.244.1.0/24") && settings.cluster == IPv4Network("10.244.0.0/16"))
        #expect(settings.gateway.description == "169.254.1.1" && settings.nodePorts == [13562, 7337] && settings.runscStack == "host")
        #expect(settings.allow.map(\.description) == ["10.200.0.0/30:13562", "10.0.0.53/32:53", "192.0.2.10/32"])
        #expect(NetworkSettings().runscStack == "auto" && NetworkSettings().range == nil)
    }

    @Test("modes: routed for every sandbox when a range exists, else host (none for kata); requests need network.allowed")
    func modes() throws {
        let routedRange = try Self.settings()
        #expect(try NetworkMode.resolve(runtime: "runc", requested: nil, settings: routedRange) == .routed)
        #expect(try NetworkMode.resolve(runtime: "runsc", requested: nil, settings: routedRange) == .routed)
        #expect(try NetworkMode.resolve(runtime: "none", requested: nil, settings: routedRange) == .host)
        #expect(try NetworkMode.resolve(runtime: "runc", requested: nil, settings: NetworkSettings()) == .host)
        #expect(try NetworkMode.resolve(runtime: "kata", requested: nil, settings: routedRange) == .routed)
        #expect(try NetworkMode.resolve(runtime: "shim:containerd-shim-runc-v2", requested: nil, settings: routedRange) == .routed)
        #expect(try NetworkMode.resolve(runtime: "shim:runc", requested: nil, settings: NetworkSettings()) == .host)
        #expect(try NetworkMode.resolve(runtime: "kata", requested: nil, settings: NetworkSettings()) == .none)
        #expect(throws: RuntimeError.self) { try NetworkMode.resolve(runtime: "runc", requested: "host", settings: routedRange) }
        let allowed = try Self.settings("  network=host\n  network.allowed=routed,none")
        #expect(try NetworkMode.resolve(runtime: "runsc", requested: "routed", settings: allowed) == .routed)
        #expect(try NetworkMode.resolve(runtime: "runsc", requested: "default", settings: allowed) == .host)
        #expect(throws: RuntimeError.self) { try NetworkMode.resolve(runtime: "runc", requested: "bridge", settings: allowed) }
        let kataHost = try Self.settings("  network=host")
        #expect(throws: RuntimeError.self) { try NetworkMode.resolve(runtime: "kata", requested: nil, settings: kataHost) }
        #expect(NetworkMode.routed.runscFlag == "sandbox" && NetworkMode.host.runscFlag == "host")
    }

    @Test("veth names: 15 characters, stable, distinct per container")
    func interfaceNames() throws {
        let a = ContainerNetworkPlan.interfaceName(for: try ContainerId(Self.cid))
        let b = ContainerNetworkPlan.interfaceName(for: try ContainerId("container_1795555676958_0001_01_000003"))
        #expect(a.count == 15 && a.hasPrefix("ky") && a != b)
        #expect(a == ContainerNetworkPlan.interfaceName(for: try ContainerId(Self.cid)))
    }

    @Test("ip scripts: veth into the namespace, /32 routes both ways, link-local gateway")
    func ipScripts() throws {
        let plan = try Self.plan()
        #expect(plan.hostCommands == [
            "link add \(plan.hostInterface) type veth peer name eth0 netns /run/kata-yarn-runtime/netns/\(Self.cid)",
            "address add 169.254.1.1/32 dev \(plan.hostInterface) scope link",
            "link set \(plan.hostInterface) up",
            "route add 10.244.1.2/32 dev \(plan.hostInterface) scope link",
        ])
        #expect(plan.namespaceCommands.contains("address add 10.244.1.2/32 dev eth0"))
        #expect(plan.namespaceCommands.last == "route add default via 169.254.1.1 dev eth0")
    }

    @Test("/etc/hosts: own name at the routed address, node entries kept, conflicting ones dropped")
    func hosts() throws {
        let text = try Self.plan().hostsFile(nodeHosts: "127.0.0.1 localhost\n# c\n10.0.0.7 nn1.example nn1\n10.9.9.9 c-1795555676958-0001-01-000002\n")
        #expect(text.contains("10.244.1.2\t10.244.1.2 c-1795555676958-0001-01-000002\n") && text.contains("10.0.0.7 nn1.example nn1\n"))
        #expect(!text.contains("10.9.9.9") && !text.contains("127.0.0.1 localhost"))
    }

    @Test("nft setup: per-container chains and per-application set, policy order, dispatch by veth")
    func nftSetup() throws {
        let plan = try Self.plan()
        let script = NFTRules.setup(plan, settings: try Self.settings(), minUserId: 1000)
        let out = "out_\(Self.cid)", app = "app_application_1795555676958_0001"
        let order = [
            "add rule inet kata_yarn \(out) ip saddr != 10.244.1.2 drop",
            "add rule inet kata_yarn \(out) ip daddr @\(app) accept",
            "add rule inet kata_yarn \(out) ip daddr @local reject with icmpx admin-prohibited",
            "add rule inet kata_yarn \(out) ip daddr != 10.244.1.0/24 ip daddr 10.244.0.0/16 accept",
            "add rule inet kata_yarn \(out) ip daddr 10.200.0.0/30 meta l4proto { tcp, udp } th dport 13562 accept",
            "add rule inet kata_yarn \(out) ip daddr 192.0.2.10/32 accept",
            "add rule inet kata_yarn \(out) reject with icmpx admin-prohibited",
        ]
        var position = script.startIndex
        for line in order {
            guard let found = script.range(of: line + "\n", range: position..<script.endIndex) else { Issue.record("missing or out of order: \(line)"); return }
            position = found.upperBound
        }
        #expect(script.contains("add element inet kata_yarn egress { \"\(plan.hostInterface)\" : jump \(out) }"))
        #expect(script.contains("add rule inet kata_yarn node_\(Self.cid) tcp dport { 13562, 7337 } accept"))
        #expect(script.contains("add rule inet kata_yarn in_\(Self.cid) ip saddr @local drop"), "arrivals vanish; the sender's side refuses")
        #expect(script.contains("add rule inet kata_yarn node_\(Self.cid) reject with icmpx admin-prohibited\n"))
        #expect(script.contains("meta skuid >= 1000 ct state new drop"))
        #expect(script.contains("flush chain inet kata_yarn forward\n"), "base chains are refilled, never duplicated")
    }

    @Test("nft teardown: the container's objects; its application's set when last; the table when last on the node")
    func nftTeardown() throws {
        let plan = try Self.plan()
        let some = NFTRules.teardown(plan, lastOfApplication: false, lastOnNode: false)
        #expect(some.contains("delete chain inet kata_yarn out_\(Self.cid)") && some.contains("delete element inet kata_yarn local { 10.244.1.2 }"))
        #expect(some.last == "delete element inet kata_yarn app_application_1795555676958_0001 { 10.244.1.2 }")
        #expect(NFTRules.teardown(plan, lastOfApplication: true, lastOnNode: false).last == "delete set inet kata_yarn app_application_1795555676958_0001")
        #expect(NFTRules.teardown(plan, lastOfApplication: true, lastOnNode: true) == ["delete table inet kata_yarn"])
    }

    @Test("the allocation record round-trips and refuses a mismatched interface")
    func record() throws {
        let record = NetworkRecord(plan: try Self.plan(), launcherPid: 4242)
        #expect(try NetworkRecord(json: try JSONParser().parse(Array(JSONWriter.encode(record.json).utf8))) == record)
        var object = record.json.objectValue ?? [:]
        object["hostInterface"] = .string("kyffffffffffff0")
        #expect(throws: RuntimeError.self) { try NetworkRecord(json: .object(object)) }
    }

    @Test("bundle: routed containers join the bound namespace, get their hostname and a read-only /etc/hosts (kata: in its own /etc)",
          arguments: ["runc", "kata"])
    func bundle(runtime: String) throws {
        var facts = try GoldenBundleTests.facts()
        facts.network = NetworkAttachment(namespacePath: try AbsolutePath("/run/kyr/netns/\(Self.cid)"),
                                          hostsFile: try AbsolutePath("/run/kyr/containers/\(Self.cid)/hosts"), hostname: "c-x")
        let plan = try BundlePlanner.plan(try GoldenBundleTests.request(), config: KataSection(), host: facts, runtime: runtime,
                                          bundleDirectory: try AbsolutePath("/run/kyr/containers/\(Self.cid)/bundle"))
        let spec = plan.spec
        let json = try JSONParser().parse(Array(spec.encoded().utf8))
        let namespaces = json["linux"]?["namespaces"]?.arrayValue ?? []
        #expect(namespaces.contains(.object(["type": .string("network"), "path": .string("/run/kyr/netns/\(Self.cid)")])))
        #expect(spec.hostname == "c-x")
        let hosts = spec.mounts.first { $0.destination == "/etc/hosts" }
        if runtime == "kata" {
            #expect(hosts == nil)
            #expect(plan.etcView?.files["hosts"]?.value == "/run/kyr/containers/\(Self.cid)/hosts")
            let etc = spec.mounts.first { $0.destination == "/etc" }
            #expect(etc?.source == "/run/kyr/containers/\(Self.cid)/bundle/etc" && etc?.options.contains("ro") == true)
        } else {
            #expect(hosts?.source == "/run/kyr/containers/\(Self.cid)/hosts" && hosts?.options.contains("ro") == true)
            #expect(spec.mounts.lastIndex { $0.destination == "/etc" } ?? 0 < spec.mounts.firstIndex { $0.destination == "/etc/hosts" } ?? -1)
        }
    }
}
