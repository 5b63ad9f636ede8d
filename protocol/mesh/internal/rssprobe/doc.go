// Command rssprobe measures the resident memory an embedded tailnet node
// adds to a process. It reads VmRSS from /proc/self/status before starting a
// node and again after the node has been up and idle for -idle. With
// -node=false it measures the same process without a node. It prints one
// JSON object on stdout.
//
// It is run by BenchmarkIdleRSS in protocol/mesh against an in-process test
// control server; Linux only (/proc). Not imported by anything.
package main
