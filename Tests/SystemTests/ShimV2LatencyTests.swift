import Foundation
import Glibc
import LinuxSystem
import RuntimeBase
import RuntimeDrivers
import Testing
import YarnContract

/// Launch latency through the shim driver against `runc run` on the same kind of bundle, in one run so that the
/// ratio means something on a noisy shared machine. Opt-in, through a file because the test binary scrubs its
/// environment before main: `echo 21 > /run/kyr-shimv2-bench` (the number of runs), then
/// `swift test --filter ShimV2LatencyTests`. It takes ~5 s and prints one line.
@Suite("shim v2 launch latency", .serialized,
       .enabled(if: ShimFixture.available && FileManager.default.fileExists(atPath: ShimFixture.benchmarkOptIn),
                "opt-in benchmark: create /run/kyr-shimv2-bench (needs root and the runc shim)"))
struct ShimV2LatencyTests {
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    static func ms(_ start: UInt64, _ end: UInt64) -> Double { Double(end - start) / 1e6 }

    @Test("median over runs of sh -c 'exit 0' (one extra warm-up run first, dropped)")
    func latency() throws {
        let runs = max(Int(ShimFixture.read(ShimFixture.benchmarkOptIn).filter(\.isNumber)) ?? 21, 1)
        let workspace = try ShimFixture.Workspace()
        defer { workspace.closeDescriptors() }
        let clock = LiveSystem()
        var started: [Double] = [], waited: [Double] = [], deleted: [Double] = [], runcRun: [Double] = []
        for run in 0...runs {
            let id = try workspace.newId()
            let (request, _, _) = try workspace.bundle(id, script: "exit 0")
            let t0 = clock.monotonicNanoseconds()
            let container = try workspace.driver.start(request)
            let t1 = clock.monotonicNanoseconds()
            #expect(try workspace.driver.wait(container) == 0)
            let t2 = clock.monotonicNanoseconds()
            try workspace.driver.delete(id: id)
            let t3 = clock.monotonicNanoseconds()
            // The same bundle again under plain `runc run` (its own state root), timed the same way.
            let runc = Process()
            runc.executableURL = URL(fileURLWithPath: "/usr/sbin/runc")
            runc.arguments = ["--root", workspace.root + "/runc-root", "run", "--bundle", request.bundle.value, id.value + "r"]
            runc.standardInput = FileHandle(forReadingAtPath: "/dev/null")
            let t4 = clock.monotonicNanoseconds()
            try runc.run()
            runc.waitUntilExit()
            let t5 = clock.monotonicNanoseconds()
            #expect(runc.terminationStatus == 0)
            if run == 0 { continue }
            started.append(Self.ms(t0, t1)); waited.append(Self.ms(t0, t2)); deleted.append(Self.ms(t0, t3)); runcRun.append(Self.ms(t4, t5))
        }
        let line = String(format: "shimv2 latency (runc shim, %d runs, median ms): start() %.1f | +wait %.1f | +delete %.1f | runc run %.1f",
                          runs, Self.median(started), Self.median(waited), Self.median(deleted), Self.median(runcRun))
        print(line)
        #expect(started.count == runs)
    }
}
