//! The `autoscaling/v2` API group.

pub mod horizontalpodautoscaler;

pub use horizontalpodautoscaler::{
    HorizontalPodAutoscaler, ScaleTarget, ScalingPolicy, ScalingRules, SelectPolicy,
};
