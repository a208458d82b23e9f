"""The CDK app: one stack a practice deploys into its own AWS account."""
