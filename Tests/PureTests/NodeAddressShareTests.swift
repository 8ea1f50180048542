import HadoopConfig
import NetworkPlanner
import RuntimeBase
import StrictJSON
import Testing
import YarnContract

/// `network.node-address.ports`'s pure parts: config checks, blocks, the namespace's and the node's scripts, the record.
@Suite struct NodeAddressShareTests {
    /// Node A (this one, a /24) and node B (a /28), 8-port blocks: 254 of them cover A's range exactly.
    static func settings(_ extra: String = "  network.node-address.ports=61000-63031\n  network.node-address.block=8") throws -> NetworkSettings {
        try NetworkPlanTests.settings("  network.nodes=10.244.1.0/24@10.200.0.1,10.244.2.0/28@10.200.0.2\n\(extra)")
    }

    @Test("config: the node's address comes from its network.nodes entry; no ports, no share")
    func config() throws {
        let settings = try Self.settings()
        #expect(settings.sharedNodeAddress?.description == "10.200.0.1" && settings.sharedPorts == 61000...63031)
        #expect(settings.portBlockSize == 8)
        #expect(try Self.settings("").sharedNodeAddress == nil)
        #expect(try Self.settings("  network.node-address.ports=40000-56255").portBlockSize == 64)
    }

    @Test("config: ports that cannot give every address a block, or would take a NodeManager port, are refused", arguments: [
        "  network.node-address.ports=61000-63030\n  network.node-address.block=8",   // 253 blocks for 254 addresses
        "  network.node-address.ports=61000-63031",                                     // 31 blocks of 64
        "  network.node-address.ports=1000-3031\n  network.node-address.block=8",       // privileged ports
        "  network.node-address.ports=63031-61000",
        "  network.node-address.ports=61000",
        "  network.node-address.ports=61000-70000",
        "  network.node-address.ports=61000-63031\n  network.node-address.block=4",
        "  network.node-address.ports=13000-15031\n  network.node-address.block=8\n  network.node-ports=13562",
    ])
    func configErrors(_ extra: String) {
        do { _ = try Self.settings(extra); Issue.record("accepted \(extra)") } catch let error as RuntimeError {
            #expect(error.code == .invalidConfigFile)
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test("config: the node's address must be known, and every node's block and address distinct", arguments: [
        "10.244.2.0/24@10.200.0.2",                              // this node missing
        "10.244.1.0/24@10.200.0.1,10.244.1.0/25@10.200.0.2",     // overlapping blocks
        "10.244.1.0/24@10.200.0.1,10.244.2.0/24@10.200.0.1",     // one address twice
        "10.244.1.0/24@10.200.0.1,10.245.2.0/24@10.200.0.2",     // another node outside network.cluster
    ])
    func nodes(_ nodes: String) {
        #expect(throws: RuntimeError.self) {
            try NetworkPlanTests.settings("  network.nodes=\(nodes)\n  network.node-address.ports=61000-63031\n  network.node-address.block=8")
        }
    }

    @Test("blocks: the i-th address of the range gets the i-th block")
    func blocks() throws {
        let settings = try Self.settings()
        #expect(NodeAddressShare(for: IPv4Address("10.244.1.1")!, settings: settings)?.block == 61000...61007)
        #expect(NodeAddressShare(for: IPv4Address("10.244.1.3")!, settings: settings)?.block == 61016...61023)
        #expect(NodeAddressShare(for: IPv4Address("10.244.1.254")!, settings: settings)?.block == 63024...63031)
        #expect(NodeAddressShare(for: IPv4Address("10.244.2.1")!, settings: settings) == nil, "another node's address")
        #expect(NodeAddressShare(for: IPv4Address("10.244.1.1")!, settings: try Self.settings("")) == nil)
    }

    @Test("inside the namespace: the node's address on lo, the local table behind two rules, a DNAT to the socket")
    func namespace() throws {
        let share = try #require(NodeAddressShare(for: IPv4Address("10.244.1.2")!, settings: try Self.settings()))
        #expect(share.namespaceCommands == [
            "address add 10.200.0.1/32 dev lo",
            "rule add to 10.200.0.1/32 ipproto tcp dport 61008-61015 lookup local pref 100",
            "rule add to 10.200.0.1/32 lookup main pref 101",
            "rule add lookup local pref 200",
            "rule del lookup local pref 0",
        ])
        #expect(share.ephemeralRange == "61008 61015\n")
        let rules = share.namespaceRules(containerAddress: IPv4Address("10.244.1.2")!)
        let found = rules.range(of: "prerouting iifname \"eth0\" ip daddr 10.244.1.2 tcp dport 61008-61015 socket transparent { 0, 1 } accept\n")
        let nat = rules.range(of: "prerouting iifname \"eth0\" ip daddr 10.244.1.2 tcp dport 61008-61015 dnat to 10.200.0.1\n")
        #expect(found != nil && nat != nil && found!.lowerBound < nat!.lowerBound, "a listener on the container's own address keeps its connections")
    }

    @Test("the node: one map for its own blocks (per container) and every other node's (static), one DNAT")
    func node() throws {
        let settings = try Self.settings()
        var plan = try NetworkPlanTests.plan()
        plan.share = NodeAddressShare(for: plan.address, settings: settings)
        let setup = NFTRules.setup(plan, settings: settings, minUserId: 1000)
        #expect(setup.contains("add rule inet kata_yarn prerouting meta l4proto tcp dnat ip to ip daddr . tcp dport map @shared\n"))
        #expect(setup.contains("add element inet kata_yarn shared { 10.200.0.1 . 61008-61015 : 10.244.1.2 }\n"))
        // The /28 peer holds 14 addresses: 14 blocks, the first and the last as expected, none of this node's.
        let peers = setup.split(separator: "\n").first { $0.hasPrefix("add element inet kata_yarn shared { 10.200.0.2") } ?? ""
        #expect(peers.components(separatedBy: " : ").count - 1 == 14)
        #expect(peers.contains("10.200.0.2 . 61000-61007 : 10.244.2.1,") && peers.contains("10.200.0.2 . 61104-61111 : 10.244.2.14 }"))
        #expect(!peers.contains("10.200.0.1 ."))
        #expect(NFTRules.teardown(plan, lastOfApplication: false, lastOnNode: false).contains(
            "delete element inet kata_yarn shared { 10.200.0.1 . 61008-61015 }"))
        // A container dialling its own block through the node comes back from the gateway, not from itself.
        #expect(setup.contains("add rule inet kata_yarn postrouting ip saddr . ip daddr @hairpin snat ip to 169.254.1.1\n"))
        #expect(setup.contains("add element inet kata_yarn hairpin { 10.244.1.2 . 10.244.1.2 }\n"))
        #expect(NFTRules.teardown(plan, lastOfApplication: false, lastOnNode: false).contains(
            "delete element inet kata_yarn hairpin { 10.244.1.2 . 10.244.1.2 }"))
        #expect(!NFTRules.setup(try NetworkPlanTests.plan(), settings: try Self.settings(""), minUserId: 1000).contains("shared"))
    }

    @Test("the record keeps the share, so teardown does not depend on today's config")
    func record() throws {
        var plan = try NetworkPlanTests.plan()
        plan.share = NodeAddressShare(for: plan.address, settings: try Self.settings())
        let record = NetworkRecord(plan: plan, launcherPid: 7)
        let parsed = try NetworkRecord(json: try JSONParser().parse(Array(JSONWriter.encode(record.json).utf8)))
        #expect(parsed == record && parsed.plan.share?.block == 61008...61015)
        var object = record.json.objectValue ?? [:]
        object["share"] = .object(["nodeAddress": .string("10.200.0.1"), "block": .string("61015-61008"), "lent": .string("61000-63031")])
        #expect(throws: RuntimeError.self) { try NetworkRecord(json: .object(object)) }
    }

    @Test("delivery: the namespace's rules for a sandbox on the namespace's Linux stack, kyr-share.so for an own stack or when asked")
    func delivery() throws {
        #expect(NodeAddressShare.Delivery.choose(.auto, kernelStack: true) == .namespace)
        #expect(NodeAddressShare.Delivery.choose(.auto, kernelStack: false) == .preload)
        #expect(NodeAddressShare.Delivery.choose(.preload, kernelStack: true) == .preload)
        #expect(try Self.settings().shareMethod == .auto)
        #expect(try Self.settings("  network.node-address.ports=61000-63031\n  network.node-address.block=8\n  network.node-address.method=preload")
            .shareMethod == .preload)
        #expect(throws: RuntimeError.self) { try Self.settings("  network.node-address.method=namespace") }
        let share = try #require(NodeAddressShare(for: IPv4Address("10.244.1.2")!, settings: try Self.settings()))
        #expect(share.preloadValue(containerAddress: IPv4Address("10.244.1.2")!) == "10.200.0.1,10.244.1.2,61008-61015")
    }

    @Test("the record keeps how the share was delivered; an older record without it held a namespace share")
    func recordDelivery() throws {
        var plan = try NetworkPlanTests.plan()
        plan.share = NodeAddressShare(for: plan.address, settings: try Self.settings())
        plan.share?.delivery = .preload
        let record = NetworkRecord(plan: plan, launcherPid: 7)
        let parsed = try NetworkRecord(json: try JSONParser().parse(Array(JSONWriter.encode(record.json).utf8)))
        #expect(parsed.plan.share?.delivery == .preload)
        var object = record.json.objectValue ?? [:]
        object["share"] = .object(["nodeAddress": .string("10.200.0.1"), "block": .string("61008-61015"), "lent": .string("61000-63031")])
        #expect(try NetworkRecord(json: .object(object)).plan.share?.delivery == .namespace)
        object["share"] = .object(["nodeAddress": .string("10.200.0.1"), "block": .string("61008-61015"), "lent": .string("61000-63031"),
                                   "delivery": .string("tproxy")])
        #expect(throws: RuntimeError.self) { try NetworkRecord(json: .object(object)) }
        // Either way the node's map gets the container's element: the node side does not depend on the delivery.
        #expect(NFTRules.setup(plan, settings: try Self.settings(), minUserId: 1000)
            .contains("add element inet kata_yarn shared { 10.200.0.1 . 61008-61015 : 10.244.1.2 }\n"))
    }

    @Test("the node's own ports: lent ports it could pick for its connections", arguments: [
        ("61000-63031", "32768\t60999", "", nil as String?),
        ("40000-42031", "32768\t60999", "", "40000-42031"),
        ("40000-42031", "32768\t60999", "40000-42031", nil),
        ("40000-42031", "32768\t60999", "40000-41000,41002-42031", "41001-41001"),
        ("30000-33000", "32768\t60999", "8080", "32768-33000"),
    ])
    func ephemeral(_ lent: String, _ range: String, _ reserved: String, _ expected: String?) throws {
        let bounds = lent.split(separator: "-").map { UInt16($0)! }
        let overlap = NodeAddressShare.unreservedOverlap(lent: bounds[0]...bounds[1], ephemeral: try #require(NodeAddressShare.parseRange(range)),
                                                         reserved: try #require(NodeAddressShare.parseList(reserved)))
        #expect(overlap.map { "\($0.lowerBound)-\($0.upperBound)" } == expected)
        #expect(NodeAddressShare.parseList("1-x") == nil && NodeAddressShare.parseRange("5") == nil)
    }
}
