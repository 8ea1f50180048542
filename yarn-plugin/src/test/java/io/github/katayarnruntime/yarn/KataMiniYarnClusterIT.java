package io.github.katayarnruntime.yarn;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.junit.Assume.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.examples.QuasiMonteCarlo;
import org.apache.hadoop.util.ToolRunner;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.applications.distributedshell.Client;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * A MiniYARNCluster whose NodeManager uses LinuxContainerExecutor with the installed kata-yarn-runtime binary and
 * this plugin as the {@code kata} runtime. Runs a distributedshell application and a MapReduce pi job in sandboxes
 * and kills a running application.
 *
 * <p>Inputs (system property, else environment variable):
 * <ul>
 *   <li>{@code kyr.binary} / {@code KYR_BINARY}: the installed binary (root:GROUP, mode 6050, with its
 *       {@code ../etc/hadoop/container-executor.cfg}). Unset: the test is skipped.</li>
 *   <li>{@code kyr.nm.group} / {@code KYR_NM_GROUP}: the cfg's NodeManager group (default {@code hadoop}).</li>
 *   <li>{@code kyr.it.runtime} / {@code KYR_IT_RUNTIME}: a runtime to request per container
 *       ({@code YARN_CONTAINER_RUNTIME_KATA_RUNTIME}); unset: the binary's default. The logs must show it.</li>
 * </ul>
 * The JVM must run as a non-root member of that group whose uid is at least the cfg's {@code min.user.id}: it is both
 * the NodeManager user and the submitter, so containers run as that user. A {@code yarn-site.xml} must be on the
 * classpath (an empty one is fine): the live cluster configuration is written into it so that ApplicationMasters
 * find the ResourceManager. Container JVMs get the JDK 17 module flags through {@code JDK_JAVA_OPTIONS}.
 */
public class KataMiniYarnClusterIT {
  private static final Pattern RUNTIME_LINE = Pattern.compile("KATA_YARN_RUNTIME=(\\S*)");
  private static final String JDK17_OPTS = KataMiniYarnClusterServer.jdk17Opts();

  private static MiniYARNCluster cluster;
  private static YarnClient yarn;
  private static Configuration conf;
  private static String requestedRuntime;
  private static File[] nmLocalDirs;
  private static File[] nmLogDirs;

  @BeforeClass
  public static void startCluster() throws Exception {
    String binary = setting("kyr.binary", "KYR_BINARY", null);
    assumeTrue("SKIP: KYR_BINARY (or -Dkyr.binary) is not set: this IT needs the installed kata-yarn-runtime binary"
        + " (root:<nm group>, mode 6050, cfg at <bindir>/../etc/hadoop/container-executor.cfg); see docs/install.md",
        binary != null && !binary.isEmpty());
    String group = setting("kyr.nm.group", "KYR_NM_GROUP", "hadoop");
    requestedRuntime = setting("kyr.it.runtime", "KYR_IT_RUNTIME", null);
    String user = System.getProperty("user.name");
    assertFalse("run this IT as a non-root member of group " + group + " (it is the NodeManager user and the submitter;"
        + " the binary refuses to run containers as root)", "root".equals(user));
    File bin = new File(binary);
    assertTrue("KYR_BINARY " + binary + " does not exist", bin.isFile());
    // The NodeManager runs --checksetup at start-up too, but its failure message hides the binary's stderr.
    Process check = new ProcessBuilder(bin.getAbsolutePath(), "--checksetup").redirectErrorStream(true).start();
    String checkOutput = new String(readAll(check), StandardCharsets.UTF_8);
    assertEquals("'" + binary + " --checksetup' as " + user + " failed: " + checkOutput, 0, check.waitFor());

    URL siteUrl = Thread.currentThread().getContextClassLoader().getResource("yarn-site.xml");
    assertNotNull("no yarn-site.xml on the classpath: put a directory holding an empty one on it (run-it.sh does)",
        siteUrl);
    assertEquals("yarn-site.xml must be a plain file on the classpath, not inside a jar", "file", siteUrl.getProtocol());

    conf = new YarnConfiguration();
    conf.set("yarn.nodemanager.container-executor.class",
        "org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor");
    conf.set("yarn.nodemanager.linux-container-executor.path", bin.getAbsolutePath());
    conf.set("yarn.nodemanager.linux-container-executor.group", group);
    conf.setBoolean("yarn.nodemanager.linux-container-executor.nonsecure-mode.limit-users", false);
    conf.set("yarn.nodemanager.runtime.linux.allowed-runtimes", "default,kata");
    conf.set("yarn.nodemanager.runtime.linux.kata.class", KataContainerRuntime.class.getName());
    conf.setInt("yarn.scheduler.minimum-allocation-mb", 128);
    conf.setInt("yarn.nodemanager.resource.memory-mb", 4096);
    // CapacityScheduler's default (10 % for ApplicationMasters) would not admit the 512 MB MapReduce AM.
    conf.setFloat("yarn.scheduler.capacity.maximum-am-resource-percent", 0.5f);
    conf.setBoolean("yarn.nodemanager.vmem-check-enabled", false);
    conf.setInt("yarn.nodemanager.delete.debug-delay-sec", 600);
    conf.set("yarn.nodemanager.admin-env", "JDK_JAVA_OPTIONS=" + JDK17_OPTS);
    conf.set("yarn.nodemanager.container-localizer.java.opts", "-Xmx256m " + JDK17_OPTS);
    conf.set("yarn.nodemanager.aux-services", "mapreduce_shuffle");
    conf.set("yarn.nodemanager.aux-services.mapreduce_shuffle.class", "org.apache.hadoop.mapred.ShuffleHandler");
    conf.setInt("mapreduce.shuffle.port", 0);

    cluster = new MiniYARNCluster("kata-it", 1, 1, 1);
    cluster.init(conf);
    cluster.start();
    conf = new YarnConfiguration(cluster.getConfig());
    // Replace the file atomically: the cluster's own threads may be reading it at the same moment.
    File site = new File(siteUrl.toURI());
    File tmp = new File(site.getPath() + ".tmp");
    try (OutputStream out = new FileOutputStream(tmp)) {
      conf.writeXml(out);
    }
    Files.move(tmp.toPath(), site.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    // MiniYARNCluster sets the NodeManager's dirs in the NodeManager's own copy of the configuration.
    Configuration nmConf = cluster.getNodeManager(0).getConfig();
    nmLocalDirs = dirs(nmConf.get("yarn.nodemanager.local-dirs"));
    nmLogDirs = dirs(nmConf.get("yarn.nodemanager.log-dirs"));
    yarn = YarnClient.createYarnClient();
    yarn.init(conf);
    yarn.start();
  }

  @AfterClass
  public static void stopCluster() {
    if (yarn != null) {
      yarn.stop();
    }
    if (cluster != null) {
      cluster.stop();
    }
  }

  @Test(timeout = 300_000)
  public void distributedShellRunsInASandbox() throws Exception {
    // One subshell: distributedshell appends its stdout/stderr redirections to the command text, so without the
    // parentheses only the last command's output would reach the container's stdout file.
    List<String> args = dsArgs("kata-it-ds",
        "(id; hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo; echo KATA_YARN_RUNTIME=$KATA_YARN_RUNTIME)");
    Client client = new Client(new Configuration(conf));
    assertTrue(client.init(args.toArray(new String[0])));
    assertTrue("distributedshell application failed", client.run());

    ApplicationReport report = latestApp("kata-it-ds");
    assertEquals(FinalApplicationStatus.SUCCEEDED, report.getFinalApplicationStatus());
    ApplicationId app = report.getApplicationId();
    // The shell container is the application's second container; its stdout holds the probe's output.
    String stdout = read(containerLogs(app, 2, "stdout"));
    Matcher runtime = RUNTIME_LINE.matcher(stdout);
    assertTrue("no KATA_YARN_RUNTIME line in the shell container's stdout:\n" + stdout, runtime.find());
    if (requestedRuntime != null) {
      assertEquals(stdout, requestedRuntime, runtime.group(1));
    } else {
      assertTrue("KATA_YARN_RUNTIME should name a sandbox runtime:\n" + stdout,
          runtime.group(1).matches("runsc|runc|kata|shim:.+"));
    }
    assertTrue("pid 1 in the sandbox should be /dev/.kyr-init:\n" + stdout, stdout.contains("/dev/.kyr-init"));
    assertTrue("the container should run as " + System.getProperty("user.name") + ":\n" + stdout,
        stdout.contains("(" + System.getProperty("user.name") + ")"));

    JsonNode kata = commandFile(app, 2).get("kata");
    assertEquals(256, kata.get("memoryMB").asInt());
    assertEquals(1, kata.get("vcores").asInt());
    // The AM did not ask for the kata runtime: the default runtime (operation 1) ran it, so no command file.
    assertFalse("the AM container should have used the default runtime",
        commandFilePath(app, 1).exists());
  }

  @Test(timeout = 600_000)
  public void mapReducePiRunsInSandboxes() throws Exception {
    Configuration job = new Configuration(conf);
    job.set("mapreduce.framework.name", "yarn");
    job.set("yarn.app.mapreduce.am.staging-dir", new File("mr-staging").getAbsolutePath());
    String cp = System.getProperty("java.class.path").replace(File.pathSeparatorChar, ',');
    job.set("mapreduce.application.classpath", cp);
    for (String env : new String[] {"yarn.app.mapreduce.am.env", "mapreduce.map.env", "mapreduce.reduce.env"}) {
      job.set(env, runtimeEnv());
    }
    job.set("yarn.app.mapreduce.am.command-opts", "-Xmx256m " + JDK17_OPTS);
    job.set("mapreduce.map.java.opts", "-Xmx200m " + JDK17_OPTS);
    job.set("mapreduce.reduce.java.opts", "-Xmx200m " + JDK17_OPTS);
    job.setInt("yarn.app.mapreduce.am.resource.mb", 512);
    job.setInt("mapreduce.map.memory.mb", 256);
    job.setInt("mapreduce.reduce.memory.mb", 256);
    assertEquals("pi job failed", 0, ToolRunner.run(job, new QuasiMonteCarlo(), new String[] {"2", "10"}));

    // QuasiMonteCarlo names its job after itself.
    ApplicationReport report = latestApp("QuasiMonteCarlo");
    assertEquals(FinalApplicationStatus.SUCCEEDED, report.getFinalApplicationStatus());
    // AM, 2 maps and a reduce all asked for kata: each went through the plugin's command file.
    int sandboxed = 0;
    for (File local : nmLocalDirs) {
      File[] containers = new File(local, "nmPrivate/" + report.getApplicationId()).listFiles();
      for (File c : containers == null ? new File[0] : containers) {
        if (new File(c, KataCommandFile.FILE_NAME).isFile()) {
          sandboxed++;
        }
      }
    }
    assertTrue("expected at least 4 sandboxed containers (AM, 2 maps, reduce), found " + sandboxed, sandboxed >= 4);
  }

  @Test(timeout = 300_000)
  public void killingAnApplicationEndsItsSandbox() throws Exception {
    final List<String> args = dsArgs("kata-it-kill", "sleep 600");
    final Client client = new Client(new Configuration(conf));
    assertTrue(client.init(args.toArray(new String[0])));
    final AtomicBoolean finished = new AtomicBoolean();
    Thread runner = new Thread(() -> {
      try {
        client.run();
      } catch (Exception e) {
        // killing the application makes the client report failure; that is the point
      } finally {
        finished.set(true);
      }
    }, "ds-client-kill");
    runner.setDaemon(true);
    runner.start();

    ApplicationId app = null;
    File pidFile = null;
    long deadline = System.currentTimeMillis() + 180_000;
    while (System.currentTimeMillis() < deadline && pidFile == null) {
      Thread.sleep(500);
      ApplicationReport r = latestAppOrNull("kata-it-kill");
      if (r == null) {
        continue;
      }
      app = r.getApplicationId();
      File candidate = pidFile(app, 2);
      if (candidate != null && candidate.isFile() && candidate.length() > 0) {
        pidFile = candidate;
      }
      assertFalse("the application ended before it could be killed: " + r.getDiagnostics(), finished.get());
    }
    if (pidFile == null) {
      if (app != null) {
        yarn.killApplication(app);  // do not leave a 600 s sleeper behind
      }
      fail("the sleeping shell container never wrote its pid file");
    }
    long pid = Long.parseLong(read(pidFile).trim());
    assertTrue("pid " + pid + " from " + pidFile + " should be alive", new File("/proc/" + pid).exists());

    yarn.killApplication(app);
    deadline = System.currentTimeMillis() + 60_000;
    ApplicationReport r = yarn.getApplicationReport(app);
    while (System.currentTimeMillis() < deadline && r.getYarnApplicationState() != YarnApplicationState.KILLED) {
      Thread.sleep(500);
      r = yarn.getApplicationReport(app);
    }
    assertEquals(YarnApplicationState.KILLED, r.getYarnApplicationState());
    while (System.currentTimeMillis() < deadline && new File("/proc/" + pid).exists()) {
      Thread.sleep(200);
    }
    assertFalse("pid " + pid + " (the sandbox's process-group leader) survived the kill",
        new File("/proc/" + pid).exists());
  }

  // ---- helpers ----

  private static List<String> dsArgs(String name, String command) {
    String dsJar = jarOf(Client.class);
    List<String> args = new ArrayList<String>(Arrays.asList(
        "--jar", dsJar, "--appname", name, "--shell_command", command, "--num_containers", "1",
        "--master_memory", "256", "--master_vcores", "1", "--container_memory", "256", "--container_vcores", "1"));
    for (String kv : runtimeEnv().split(",")) {
      args.add("--shell_env");
      args.add(kv);
    }
    return args;
  }

  private static String runtimeEnv() {
    String env = "YARN_CONTAINER_RUNTIME_TYPE=kata";
    if (requestedRuntime != null) {
      env += "," + KataCommandFile.ENV_KATA_RUNTIME + "=" + requestedRuntime;
    }
    return env;
  }

  private static ApplicationReport latestApp(String name) throws Exception {
    ApplicationReport r = latestAppOrNull(name);
    assertNotNull("no application named " + name, r);
    return r;
  }

  private static ApplicationReport latestAppOrNull(String name) throws Exception {
    ApplicationReport latest = null;
    for (ApplicationReport r : yarn.getApplications(EnumSet.allOf(YarnApplicationState.class))) {
      if (name.equals(r.getName()) && (latest == null || r.getApplicationId().compareTo(latest.getApplicationId()) > 0)) {
        latest = r;
      }
    }
    return latest;
  }

  /** {@code container_<cluster ts>_<app>_01_<n>} of the first attempt. */
  private static String containerId(ApplicationId app, int n) {
    return String.format("container_%d_%04d_01_%06d", app.getClusterTimestamp(), app.getId(), n);
  }

  private static File containerLogs(ApplicationId app, int n, String file) {
    for (File logs : nmLogDirs) {
      File f = new File(logs, app + "/" + containerId(app, n) + "/" + file);
      if (f.isFile()) {
        return f;
      }
    }
    fail("no " + file + " for " + containerId(app, n) + " under " + Arrays.toString(nmLogDirs));
    return null;
  }

  private static File commandFilePath(ApplicationId app, int n) {
    for (File local : nmLocalDirs) {
      File f = new File(local, "nmPrivate/" + app + "/" + containerId(app, n) + "/" + KataCommandFile.FILE_NAME);
      if (f.isFile()) {
        return f;
      }
    }
    return new File(nmLocalDirs[0], "nmPrivate/" + app + "/" + containerId(app, n) + "/" + KataCommandFile.FILE_NAME);
  }

  private static JsonNode commandFile(ApplicationId app, int n) throws IOException {
    File f = commandFilePath(app, n);
    assertTrue("the plugin wrote no " + f, f.isFile());
    return new ObjectMapper().readTree(f);
  }

  private static File pidFile(ApplicationId app, int n) {
    for (File local : nmLocalDirs) {
      String cid = containerId(app, n);
      File f = new File(local, "nmPrivate/" + app + "/" + cid + "/" + cid + ".pid");
      if (f.isFile()) {
        return f;
      }
    }
    return null;
  }

  private static File[] dirs(String commaList) {
    List<File> dirs = new ArrayList<File>();
    for (String d : commaList.split(",")) {
      dirs.add(new File(d.trim().replaceFirst("^file:", "")));
    }
    return dirs.toArray(new File[0]);
  }

  private static String jarOf(Class<?> c) {
    try {
      return new File(c.getProtectionDomain().getCodeSource().getLocation().toURI()).getAbsolutePath();
    } catch (Exception e) {
      throw new AssertionError("cannot locate the jar of " + c, e);
    }
  }

  private static String setting(String property, String env, String fallback) {
    String v = System.getProperty(property);
    if (v == null || v.isEmpty()) {
      v = System.getenv(env);
    }
    return v == null || v.isEmpty() ? fallback : v;
  }

  private static byte[] readAll(Process p) throws IOException {
    return org.apache.commons.io.IOUtils.toByteArray(p.getInputStream());
  }

  private static String read(File f) throws IOException {
    return new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8);
  }
}
