"""The works the course cites: one entry per key, as authors, title, year and venue (each notebook lists the ones it uses)."""

REFERENCES = {
    "andonian2021": "Andonian, A. (2021). *Emergent Capabilities of Generative Models: \"Software 3.0\" and Beyond*. "
                    "S.M. thesis, Massachusetts Institute of Technology (ch. 2 BigGAN, truncation and interpolation; "
                    "ch. 3 GANalyze; ch. 4 Paint by Word).",
    "komorowski2021": "Komorowski, A. and Domagała, M. (2021). *Text-to-image generation with CLIP, GANs and evolutionary "
                      "algorithms (genetic algorithm vs differential evolution)*. Engineering thesis, Warsaw University "
                      "of Technology.",
    "plumerault2023": "Plumerault, A. (2023). *Controlling image generative models without supervision*. PhD thesis, "
                      "Université Paris-Saclay (HAL tel-04496221).",
    "plumerault2020": "Plumerault, A., Le Borgne, H. and Hudelot, C. (2020). Controlling generative models with continuous "
                      "factors of variations. *ICLR 2020*.",
    "ulusan2023": "Ulusan, K. (2023). *Synthetic Image Generation*. Proseminar report, University of Tübingen.",
    "goodfellow2014": "Goodfellow, I. et al. (2014). Generative adversarial nets. *NeurIPS 2014*.",
    "brock2019": "Brock, A., Donahue, J. and Simonyan, K. (2019). Large scale GAN training for high fidelity natural image "
                 "synthesis. *ICLR 2019*.",
    "miyato2018": "Miyato, T., Kataoka, T., Koyama, M. and Yoshida, Y. (2018). Spectral normalization for generative "
                  "adversarial networks. *ICLR 2018*.",
    "karras2019": "Karras, T., Laine, S. and Aila, T. (2019). A style-based generator architecture for generative adversarial "
                  "networks. *CVPR 2019*.",
    "karras2020": "Karras, T., Laine, S., Aittala, M., Hellsten, J., Lehtinen, J. and Aila, T. (2020). Analyzing and improving "
                  "the image quality of StyleGAN. *CVPR 2020*.",
    "wu2021": "Wu, Z., Lischinski, D. and Shechtman, E. (2021). StyleSpace analysis: disentangled controls for StyleGAN "
              "image generation. *CVPR 2021*.",
    "abdal2019": "Abdal, R., Qin, Y. and Wonka, P. (2019). Image2StyleGAN: how to embed images into the StyleGAN latent "
                 "space? *ICCV 2019*.",
    "radford2021": "Radford, A. et al. (2021). Learning transferable visual models from natural language supervision. "
                   "*ICML 2021*.",
    "galatolo2021": "Galatolo, F. A., Cimino, M. G. C. A. and Vaglini, G. (2021). Generating images from caption and vice "
                    "versa via CLIP-guided generative latent space search. *IMPROVE 2021*.",
    "bau2021": "Bau, D., Andonian, A., Cui, A., Park, Y., Jahanian, A., Oliva, A. and Torralba, A. (2021). Paint by word. "
               "arXiv:2103.10951.",
    "bau2020dissection": "Bau, D., Zhu, J.-Y., Strobelt, H., Lapedriza, A., Zhou, B. and Torralba, A. (2020). Understanding "
                         "the role of individual units in a deep neural network. *PNAS* 117(48).",
    "bau2020rewriting": "Bau, D., Liu, S., Wang, T., Zhu, J.-Y. and Torralba, A. (2020). Rewriting a deep generative model. "
                        "*ECCV 2020*.",
    "goetschalckx2019": "Goetschalckx, L., Andonian, A., Oliva, A. and Isola, P. (2019). GANalyze: toward visual definitions "
                        "of cognitive image properties. *ICCV 2019*.",
    "harkonen2020": "Härkönen, E., Hertzmann, A., Lehtinen, J. and Paris, S. (2020). GANSpace: discovering interpretable "
                    "GAN controls. *NeurIPS 2020*.",
    "shen2021": "Shen, Y. and Zhou, B. (2021). Closed-form factorization of latent semantics in GANs. *CVPR 2021*.",
    "heusel2017": "Heusel, M., Ramsauer, H., Unterthiner, T., Nessler, B. and Hochreiter, S. (2017). GANs trained by a two "
                  "time-scale update rule converge to a local Nash equilibrium. *NeurIPS 2017* (FID).",
    "binkowski2018": "Bińkowski, M., Sutherland, D. J., Arbel, M. and Gretton, A. (2018). Demystifying MMD GANs. *ICLR 2018* (KID).",
    "salimans2016": "Salimans, T. et al. (2016). Improved techniques for training GANs. *NeurIPS 2016* (Inception Score).",
    "chong2020": "Chong, M. J. and Forsyth, D. (2020). Effectively unbiased FID and Inception Score and where to find them. "
                 "*CVPR 2020*.",
    "hansen2016": "Hansen, N. (2016). The CMA evolution strategy: a tutorial. arXiv:1604.00772.",
    "storn1997": "Storn, R. and Price, K. (1997). Differential evolution — a simple and efficient heuristic for global "
                 "optimization over continuous spaces. *Journal of Global Optimization* 11.",
    "white2016": "White, T. (2016). Sampling generative networks. arXiv:1609.04468 (slerp).",
    "zhang2018": "Zhang, R., Isola, P., Efros, A. A., Shechtman, E. and Wang, O. (2018). The unreasonable effectiveness of "
                 "deep features as a perceptual metric. *CVPR 2018* (LPIPS).",
    "kingma2014": "Kingma, D. P. and Welling, M. (2014). Auto-encoding variational Bayes. *ICLR 2014*.",
    "ilharco2021": "Ilharco, G., Wortsman, M., Wightman, R., Gordon, C., Carlini, N., Taori, R., Dave, A., Shankar, V., "
                   "Namkoong, H., Miller, J., Hajishirzi, H., Farhadi, A. and Schmidt, L. (2021). *OpenCLIP* (software). "
                   "Zenodo, doi:10.5281/zenodo.5143773.",
    "shen2020": "Shen, Y., Gu, J., Tang, X. and Zhou, B. (2020). Interpreting the latent space of GANs for semantic face "
                "editing. *CVPR 2020* (InterFaceGAN).",
    "isola2017": "Isola, P., Zhu, J.-Y., Zhou, T. and Efros, A. A. (2017). Image-to-image translation with conditional "
                 "adversarial networks. *CVPR 2017* (pix2pix).",
    "kynkaanniemi2019": "Kynkäänniemi, T., Karras, T., Laine, S., Lehtinen, J. and Aila, T. (2019). Improved precision and "
                        "recall metric for assessing generative models. *NeurIPS 2019*.",
    "karras2020ada": "Karras, T., Aittala, M., Hellsten, J., Laine, S., Lehtinen, J. and Aila, T. (2020). Training "
                     "generative adversarial networks with limited data. *NeurIPS 2020* (StyleGAN2-ADA and its projector).",
    "tov2021": "Tov, O., Alaluf, Y., Nitzan, Y., Patashnik, O. and Cohen-Or, D. (2021). Designing an encoder for StyleGAN "
               "image manipulation. *ACM Transactions on Graphics* 40(4) (SIGGRAPH 2021; e4e).",
}
