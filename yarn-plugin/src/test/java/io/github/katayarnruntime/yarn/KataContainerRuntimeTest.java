package io.github.katayarnruntime.yarn;

import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.*;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.server.nodemanager.ContainerExecutor;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.runtime.ContainerExecutionException;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.runtime.ContainerRuntimeContext;
import org.apache.commons.io.FileUtils;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Drives the runtime against a recording stand-in for the executor binary (the technique of Hadoop's
 * TestLinuxContainerExecutorWithMocks): the stand-in stores its argv and the command file it was handed, and exits
 * with the code the test asks for. PrivilegedOperationExecutor is a JVM-wide singleton, so this class must be the
 * first (and only) user of it in its JVM; run-it.sh and Maven Surefire both give it its own JVM.
 */
public class KataContainerRuntimeTest {
  private static final String CID = "container_1795555676958_0004_01_000002";
  private static final String APP = "application_1795555676958_0004";
  private static File root;
  private static File mock;
  private static Configuration conf;
  private static KataContainerRuntime runtime;

  private File nmPrivate;
  private File workDir;

  @BeforeClass
  public static void installMockExecutor() throws Exception {
    root = Files.createTempDirectory("kata-runtime-test").toFile();
    mock = new File(root, "mock-executor");
    // The NodeManager runs the executor with an empty environment, so the stand-in takes its orders from files.
    String script = "#!/bin/sh\n"
        + "d=$(dirname \"$0\")\n"
        + "printf '%s\\n' \"$@\" > \"$d/argv.txt\"\n"
        + "if [ \"$1\" = --run-runc-container ]; then cp \"$2\" \"$d/captured.json\"; "
        + "stat -c %a \"$2\" > \"$d/captured.mode\"; fi\n"
        + "echo 'stand-in stderr' >&2\n"
        + "exit $(cat \"$d/exit-code\")\n";
    Files.write(mock.toPath(), script.getBytes(StandardCharsets.UTF_8));
    Files.setPosixFilePermissions(mock.toPath(), PosixFilePermissions.fromString("rwx------"));
    conf = new Configuration(false);
    conf.set("yarn.nodemanager.linux-container-executor.path", mock.getAbsolutePath());
    runtime = new KataContainerRuntime();
    runtime.initialize(conf, null);
  }

  @AfterClass
  public static void removeScratch() throws IOException {
    FileUtils.deleteDirectory(root);
  }

  @Before
  public void reset() throws IOException {
    File[] old = {new File(root, "argv.txt"), new File(root, "captured.json"), new File(root, "captured.mode")};
    for (File f : old) {
      Files.deleteIfExists(f.toPath());
    }
    exitWith(0);
    File local = new File(root, "local");
    nmPrivate = new File(local, "nmPrivate/" + APP + "/" + CID);
    assertTrue(nmPrivate.isDirectory() || nmPrivate.mkdirs());
    workDir = new File(local, "usercache/alice/appcache/" + APP + "/" + CID);
    assertTrue(workDir.isDirectory() || workDir.mkdirs());
  }

  @Test
  public void runtimeIsRequestedByEnvironmentOrNodeDefault() {
    KataContainerRuntime r = new KataContainerRuntime();
    Configuration c = new Configuration(false);
    c.set("yarn.nodemanager.linux-container-executor.path", mock.getAbsolutePath());
    try {
      r.initialize(c, null);
    } catch (ContainerExecutionException e) {
      throw new AssertionError(e);
    }
    assertTrue(r.isRuntimeRequested(env("YARN_CONTAINER_RUNTIME_TYPE", "kata")));
    assertTrue(r.isRuntimeRequested(env("YARN_CONTAINER_RUNTIME_TYPE", " KATA ")));
    assertFalse(r.isRuntimeRequested(env("YARN_CONTAINER_RUNTIME_TYPE", "docker")));
    assertFalse(r.isRuntimeRequested(env("YARN_CONTAINER_RUNTIME_TYPE", "katana")));
    assertFalse(r.isRuntimeRequested(Collections.<String, String>emptyMap()));
    assertFalse(r.isRuntimeRequested(null));
    c.set("yarn.nodemanager.runtime.linux.type", "Kata");
    assertTrue(r.isRuntimeRequested(Collections.<String, String>emptyMap()));
    assertTrue(r.isRuntimeRequested(env("YARN_CONTAINER_RUNTIME_TYPE", "")));
    assertFalse("an explicit request for another runtime wins over the node default",
        r.isRuntimeRequested(env("YARN_CONTAINER_RUNTIME_TYPE", "runc")));
  }

  @Test
  public void launchWritesTheCommandFileAndRunsTheBinary() throws Exception {
    Map<String, String> env = new HashMap<String, String>();
    env.put("YARN_CONTAINER_RUNTIME_TYPE", "kata");
    env.put(KataCommandFile.ENV_KATA_RUNTIME, "runsc");
    env.put(KataCommandFile.ENV_KATA_IMAGE, "/srv/images/jdk17.img");
    runtime.launchContainer(launchContext(container(env, 1536, 3), false));

    File commandFile = new File(nmPrivate, "kata-config.json");
    assertEquals(Arrays.asList("--run-runc-container", commandFile.getAbsolutePath()), argv());
    assertEquals("600", read(new File(root, "captured.mode")).trim());
    JsonNode json = new ObjectMapper().readTree(new File(root, "captured.json"));
    assertEquals(new TreeSet<String>(Arrays.asList("version", "runAsUser", "username", "containerId", "applicationId",
        "pidFile", "containerScriptPath", "containerCredentialsPath", "localDirs", "logDirs", "layers",
        "reapLayerKeepCount", "ociRuntimeConfig", "kata")), keys(json));
    assertEquals("0.1", json.get("version").asText());
    assertEquals("alice", json.get("runAsUser").asText());
    assertEquals("alice", json.get("username").asText());
    assertEquals(CID, json.get("containerId").asText());
    assertEquals(APP, json.get("applicationId").asText());
    assertEquals(new File(nmPrivate, CID + ".pid").getPath(), json.get("pidFile").asText());
    assertEquals(new File(nmPrivate, "launch_container.sh").getPath(), json.get("containerScriptPath").asText());
    assertEquals(new File(nmPrivate, CID + ".tokens").getPath(), json.get("containerCredentialsPath").asText());
    assertEquals("[\"" + root + "/local\"]", json.get("localDirs").toString());
    assertEquals("[\"" + root + "/logs\"]", json.get("logDirs").toString());
    assertEquals("[]", json.get("layers").toString());
    assertEquals(100, json.get("reapLayerKeepCount").asInt());

    JsonNode kata = json.get("kata");
    assertEquals(new TreeSet<String>(Arrays.asList("runtime", "vcores", "memoryMB", "image")), keys(kata));
    assertEquals("runsc", kata.get("runtime").asText());
    assertEquals(3, kata.get("vcores").asInt());
    assertEquals(1536L, kata.get("memoryMB").asLong());
    assertEquals("/srv/images/jdk17.img", kata.get("image").asText());

    JsonNode oci = json.get("ociRuntimeConfig");
    assertEquals(workDir.getPath(), oci.get("process").get("cwd").asText());
    assertEquals("[\"bash\",\"" + workDir.getPath() + "/launch_container.sh\"]", oci.get("process").get("args").toString());
    assertEquals(KataCommandFile.DEFAULT_PATH, oci.get("process").get("env").get(0).asText());
    assertEquals(3, oci.get("linux").get("resources").get("cpu").get("shares").asInt());
    assertNull("no cgroupsPath: the binary places sandboxes in its own cgroups", oci.get("linux").get("cgroupsPath"));
    List<String> mounts = new ArrayList<String>();
    for (JsonNode m : oci.get("mounts")) {
      assertEquals("bind", m.get("type").asText());
      mounts.add(m.get("source").asText() + "->" + m.get("destination").asText() + " " + m.get("options"));
    }
    assertEquals(Arrays.asList(
        workDir + "/private_slash_tmp->/tmp [\"rw\",\"rbind\",\"rprivate\"]",
        workDir + "/private_var_slash_tmp->/var/tmp [\"rw\",\"rbind\",\"rprivate\"]",
        root + "/logs/" + APP + "/" + CID + "->" + root + "/logs/" + APP + "/" + CID + " [\"rw\",\"rbind\",\"rprivate\"]",
        root + "/local/usercache/alice/appcache/" + APP + "->" + root + "/local/usercache/alice/appcache/" + APP
            + " [\"rw\",\"rbind\",\"rprivate\"]",
        root + "/local/usercache/alice/filecache->" + root + "/local/usercache/alice/filecache [\"ro\",\"rbind\",\"rprivate\"]"),
        mounts);
  }

  @Test
  public void httpsAndMinimalKataObject() throws Exception {
    runtime.launchContainer(launchContext(container(env("YARN_CONTAINER_RUNTIME_TYPE", "kata"), 0, 0), true));
    JsonNode json = new ObjectMapper().readTree(new File(root, "captured.json"));
    assertEquals(1, json.get("https").asInt());
    assertEquals(new File(nmPrivate, "yarn_provided.keystore").getPath(), json.get("keystorePath").asText());
    assertEquals(new File(nmPrivate, "yarn_provided.truststore").getPath(), json.get("truststorePath").asText());
    assertEquals(17, keys(json).size());
    assertEquals("{}", json.get("kata").toString());
    assertEquals(2, json.get("ociRuntimeConfig").get("linux").get("resources").get("cpu").get("shares").asInt());
  }

  @Test
  public void theContainersExitStatusSurfacesAsTheExceptionsExitCode() throws Exception {
    exitWith(143);
    try {
      runtime.launchContainer(launchContext(container(env("YARN_CONTAINER_RUNTIME_TYPE", "kata"), 512, 1), false));
      fail("a non-zero exit must fail the launch");
    } catch (ContainerExecutionException e) {
      assertEquals(143, e.getExitCode());
      assertTrue(e.getErrorOutput(), e.getErrorOutput().contains("stand-in stderr"));
    }
  }

  @Test
  public void relaunchReplacesTheCommandFile() throws Exception {
    File commandFile = new File(nmPrivate, "kata-config.json");
    Files.write(commandFile.toPath(), "stale".getBytes(StandardCharsets.UTF_8));
    runtime.relaunchContainer(launchContext(container(env("YARN_CONTAINER_RUNTIME_TYPE", "kata"), 512, 1), false));
    assertEquals(Arrays.asList("--run-runc-container", commandFile.getAbsolutePath()), argv());
    assertEquals(512L, new ObjectMapper().readTree(commandFile).get("kata").get("memoryMB").asLong());
    assertFalse(new File(nmPrivate, "kata-config.json.tmp").exists());
  }

  @Test
  public void badRuntimeOrImageIsRefusedBeforeTheBinaryRuns() throws Exception {
    String[][] bad = {
        {KataCommandFile.ENV_KATA_RUNTIME, "docker"},
        {KataCommandFile.ENV_KATA_RUNTIME, "shim:../../bin/sh"},
        {KataCommandFile.ENV_KATA_RUNTIME, "shim:.."},
        {KataCommandFile.ENV_KATA_IMAGE, "relative.img"},
        {KataCommandFile.ENV_KATA_IMAGE, "/srv/../etc/shadow"},
    };
    for (String[] entry : bad) {
      try {
        runtime.launchContainer(launchContext(container(env(entry[0], entry[1]), 512, 1), false));
        fail("accepted " + entry[0] + "=" + entry[1]);
      } catch (ContainerExecutionException e) {
        assertTrue(e.getMessage(), e.getMessage().contains(entry[0]));
      }
      assertFalse("the binary must not run for " + entry[1], new File(root, "argv.txt").exists());
    }
    runtime.launchContainer(launchContext(container(env(KataCommandFile.ENV_KATA_RUNTIME, "shim:gvisor-v2.x"), 512, 1),
        false));
    assertEquals("shim:gvisor-v2.x",
        new ObjectMapper().readTree(new File(root, "captured.json")).get("kata").get("runtime").asText());
  }

  @Test
  public void signalUsesTheNumericOperation() throws Exception {
    runtime.signalContainer(signalContext(ContainerExecutor.Signal.TERM));
    assertEquals(Arrays.asList("alice", "bob", "2", "4242", "15"), argv());
    runtime.signalContainer(signalContext(ContainerExecutor.Signal.NULL));
    assertEquals(Arrays.asList("alice", "bob", "2", "4242", "0"), argv());
    exitWith(9);
    try {
      runtime.signalContainer(signalContext(ContainerExecutor.Signal.NULL));
      fail("exit 9 (no such process) must reach LinuxContainerExecutor as an exception");
    } catch (ContainerExecutionException e) {
      assertEquals(9, e.getExitCode());
    }
  }

  @Test
  public void reapIsANoOpAndExecIsRefused() throws Exception {
    runtime.reapContainer(signalContext(ContainerExecutor.Signal.NULL));
    assertFalse(new File(root, "argv.txt").exists());
    try {
      runtime.execContainer(null);
      fail("exec is not supported");
    } catch (ContainerExecutionException e) {
      assertNotEquals("LinuxContainerExecutor treats exit code 0 as success", 0, e.getExitCode());
    }
  }

  // ---- helpers ----

  private ContainerRuntimeContext launchContext(Container container, boolean https) {
    File local = new File(root, "local");
    File logs = new File(root, "logs");
    File userFilecache = new File(local, "usercache/alice/filecache");
    assertTrue(userFilecache.isDirectory() || userFilecache.mkdirs());
    ContainerRuntimeContext.Builder b = new ContainerRuntimeContext.Builder(container)
        .setExecutionAttribute(RUN_AS_USER, "alice")
        .setExecutionAttribute(USER, "alice")
        .setExecutionAttribute(APPID, APP)
        .setExecutionAttribute(CONTAINER_ID_STR, CID)
        .setExecutionAttribute(CONTAINER_WORK_DIR, new Path(workDir.getPath()))
        .setExecutionAttribute(NM_PRIVATE_CONTAINER_SCRIPT_PATH, new Path(nmPrivate.getPath(), "launch_container.sh"))
        .setExecutionAttribute(NM_PRIVATE_TOKENS_PATH, new Path(nmPrivate.getPath(), CID + ".tokens"))
        .setExecutionAttribute(PID_FILE_PATH, new Path(nmPrivate.getPath(), CID + ".pid"))
        .setExecutionAttribute(LOCAL_DIRS, Collections.singletonList(local.getPath()))
        .setExecutionAttribute(LOG_DIRS, Collections.singletonList(logs.getPath()))
        .setExecutionAttribute(CONTAINER_LOG_DIRS, Collections.singletonList(logs + "/" + APP + "/" + CID))
        .setExecutionAttribute(APPLICATION_LOCAL_DIRS,
            Collections.singletonList(local + "/usercache/alice/appcache/" + APP))
        .setExecutionAttribute(FILECACHE_DIRS, Collections.singletonList(local + "/filecache"))  // absent: skipped
        .setExecutionAttribute(USER_FILECACHE_DIRS, Collections.singletonList(userFilecache.getPath()))
        .setExecutionAttribute(RESOURCES_OPTIONS, "cgroups=none");
    if (https) {
      b.setExecutionAttribute(NM_PRIVATE_KEYSTORE_PATH, new Path(nmPrivate.getPath(), "yarn_provided.keystore"))
          .setExecutionAttribute(NM_PRIVATE_TRUSTSTORE_PATH, new Path(nmPrivate.getPath(), "yarn_provided.truststore"));
    }
    return b.build();
  }

  private ContainerRuntimeContext signalContext(ContainerExecutor.Signal signal) {
    return new ContainerRuntimeContext.Builder(container(Collections.<String, String>emptyMap(), 512, 1))
        .setExecutionAttribute(RUN_AS_USER, "alice")
        .setExecutionAttribute(USER, "bob")
        .setExecutionAttribute(PID, "4242")
        .setExecutionAttribute(SIGNAL, signal)
        .build();
  }

  /** A NodeManager container reduced to what a runtime reads: resource and launch context. */
  private static Container container(Map<String, String> env, long memoryMB, int vcores) {
    final Resource resource = Resource.newInstance(memoryMB, vcores);
    final ContainerLaunchContext launch = ContainerLaunchContext.newInstance(null, env, null, null, null, null);
    return (Container) Proxy.newProxyInstance(Container.class.getClassLoader(), new Class<?>[] {Container.class},
        (proxy, method, args) -> {
          switch (method.getName()) {
            case "getResource": return resource;
            case "getLaunchContext": return launch;
            case "toString": return "test container";
            case "hashCode": return System.identityHashCode(proxy);
            case "equals": return proxy == args[0];
            default:
              Class<?> t = method.getReturnType();
              if (t == boolean.class) {
                return false;
              }
              if (t == long.class) {
                return 0L;
              }
              if (t == int.class) {
                return 0;
              }
              return null;
          }
        });
  }

  private static Map<String, String> env(String key, String value) {
    Map<String, String> env = new HashMap<String, String>();
    env.put(key, value);
    return env;
  }

  private static void exitWith(int code) throws IOException {
    Files.write(new File(root, "exit-code").toPath(), Integer.toString(code).getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> argv() throws IOException {
    return Files.readAllLines(new File(root, "argv.txt").toPath(), StandardCharsets.UTF_8);
  }

  private static String read(File f) throws IOException {
    return new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8);
  }

  private static TreeSet<String> keys(JsonNode node) {
    TreeSet<String> keys = new TreeSet<String>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
      keys.add(it.next());
    }
    return keys;
  }
}
