"""Traffic control: the qdiscs, classes and filters `tc` attaches to a device, and what they do to
the packets that pass (`model` holds the configuration, `shaping` queues and times packets on the
simulated clock, `classify` runs the filters, `stage` is the journey's egress qdisc and tc ingress).
"""
